/**
 * The packages a consumer can install: every package under packages/ without `"private": true`
 * (found, not listed, so a new package is tested the day it is added), and the entry points
 * their `exports` promise.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')

export interface EntryPoint {
  /** What a consumer writes in `import … from`, e.g. `@parley/client/node`. */
  specifier: string
  /** Files (relative to the package) that the import and require conditions point at. */
  files: string[]
}

export interface PublishablePackage {
  name: string
  version: string
  dir: string
  entries: EntryPoint[]
  /** The package's `lint:pkg` script (publint, attw, dist check), if it has one. */
  lintScript?: string
}

type ExportTarget = string | { [condition: string]: ExportTarget } | null

/** Every file a conditional export can resolve to, except the workspace-only source condition. */
function targets(t: ExportTarget): string[] {
  if (t === null) return []
  if (typeof t === 'string') return [t]
  return Object.entries(t).filter(([c]) => c !== '@parley/source').flatMap(([, v]) => targets(v))
}

export function publishablePackages(): PublishablePackage[] {
  const base = join(repoRoot, 'packages')
  return readdirSync(base).sort().flatMap((d) => {
    const file = join(base, d, 'package.json')
    if (!existsSync(file)) return []
    const pkg = JSON.parse(readFileSync(file, 'utf8'))
    if (pkg.private) return []
    const exportsField: Record<string, ExportTarget> = pkg.exports ?? { '.': pkg.main ?? './index.js' }
    const entries = Object.entries(exportsField)
      .filter(([sub]) => sub !== './package.json' && !sub.includes('*'))
      .map(([sub, t]) => ({
        specifier: sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`,
        files: [...new Set(targets(t).map((f) => f.replace(/^\.\//, '')))],
      }))
    return [{ name: pkg.name, version: pkg.version, dir: join(base, d), entries, lintScript: pkg.scripts?.['lint:pkg'] }]
  })
}
