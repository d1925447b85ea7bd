/**
 * The second Node the bench runs on. Its version is pinned once for the repository: the
 * `24.` line of `.ci/node-versions` (what CI tests on), or {@link FALLBACK_NODE_24} where that
 * file is absent. The binary comes from the registry's binary-only Node package
 * (`npm pack node-<os>-<cpu>@<version>`), unpacked once into `bench/.node-cache/` (git-ignored);
 * a copy CI already unpacked in `.ci/cache/` is reused. `BENCH_NODE_24` may name a binary to
 * use instead.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Used only when `.ci/node-versions` does not exist. */
export const FALLBACK_NODE_24 = '24.22.3'
const ROOT = fileURLToPath(new URL('../', import.meta.url))
const CACHE = join(ROOT, 'bench/.node-cache')

function versionOf(node: string): string | null {
  try {
    return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}

/** The pinned Node 24 version. */
export function pinnedNode24(): string {
  const file = join(ROOT, '.ci/node-versions')
  if (!existsSync(file)) return FALLBACK_NODE_24
  const line = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).find((l) => l.startsWith('24.'))
  return line ?? FALLBACK_NODE_24
}

/**
 * The path of a Node `version` binary, fetched through npm on first use.
 * @throws {Error} when it cannot be fetched or does not report that version.
 */
export function nodeBinary(version: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not an exact Node version: ${version}`)
  const override = process.env.BENCH_NODE_24
  if (override && versionOf(override) === `v${version}`) return override
  for (const dir of [join(CACHE, `node-v${version}`), join(ROOT, `.ci/cache/node-v${version}`)]) {
    const bin = join(dir, 'bin/node')
    if (versionOf(bin) === `v${version}`) return bin
  }
  const spec = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}@${version}`
  mkdirSync(CACHE, { recursive: true })
  const work = mkdtempSync(join(CACHE, '.fetch-'))
  const target = join(CACHE, `node-v${version}`)
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as { filename: string }[]
    execFileSync('tar', ['xzf', join(work, packed[0]!.filename), '-C', work])
    rmSync(target, { recursive: true, force: true })
    renameSync(join(work, 'package'), target)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const bin = join(target, 'bin/node')
  const got = versionOf(bin)
  if (got !== `v${version}`) throw new Error(`${spec}: bin/node reports ${got ?? 'nothing'}, expected v${version}`)
  return bin
}
