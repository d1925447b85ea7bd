/**
 * What every bench report states about the run: machine, runtime and library versions, and the
 * load average (several engineers share the machine, so a figure without its load means little).
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'

const require = createRequire(import.meta.url)

/**
 * The installed version of a dependency, or `?` when it cannot be read. Walks up from its entry
 * point, since some packages do not export `./package.json`.
 */
export function versionOf(pkg: string): string {
  try {
    let dir = dirname(require.resolve(pkg))
    for (;;) {
      const file = join(dir, 'package.json')
      if (existsSync(file)) {
        const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
        if (json.name === pkg && json.version) return json.version
      }
      const up = dirname(dir)
      if (up === dir) return '?'
      dir = up
    }
  } catch {
    return '?'
  }
}

/** `1.23 0.98 0.75` — the 1, 5 and 15-minute load averages. */
export const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ')

/** One line: CPU model, cores, memory, Node and its OpenSSL. */
export function machineLine(): string {
  const model = cpus()[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU'
  return `machine: ${model}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB; node ${process.version} (OpenSSL ${process.versions.openssl}); load average ${load()}`
}

/** One line: the versions of the named dependencies. */
/** The versions of `pkgs`, for the JSON results. */
export function versionsOf(pkgs: readonly string[]): Record<string, string> {
  return Object.fromEntries(pkgs.map((p) => [p, versionOf(p)]))
}

export function versionsLine(pkgs: readonly string[]): string {
  return `versions: ${pkgs.map((p) => `${p} ${versionOf(p)}`).join(', ')}`
}
