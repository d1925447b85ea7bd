// Makes a pinned Node release available without a system install: `npm pack node-<os>-<cpu>@<v>`
// (the registry's binary-only Node packages), unpacked once into .ci/cache/node-v<v>/ (git-ignored).
// Prints the folder to put first on PATH.
//
//   node scripts/node-binary.mjs 24.22.3        → <repo>/.ci/cache/node-v24.22.3/bin
//   node scripts/node-binary.mjs --pinned       → one bin folder a line, for every version in .ci/node-versions
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const cacheDir = join(root, '.ci/cache')

/** The exact versions pinned in .ci/node-versions (comments and blank lines ignored). */
export function pinnedNodeVersions() {
  return readFileSync(join(root, '.ci/node-versions'), 'utf8')
    .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
}

function versionOf(nodePath) {
  try { return execFileSync(nodePath, ['--version'], { encoding: 'utf8' }).trim() } catch { return null }
}

/** Bin folder of Node `version`, fetched through npm on first use. */
export function nodeBinDir(version) {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not an exact Node version: ${version}`)
  const target = join(cacheDir, `node-v${version}`)
  const bin = join(target, 'bin')
  if (versionOf(join(bin, 'node')) === `v${version}`) return bin
  const spec = `node-${process.platform}-${process.arch}@${version}`
  mkdirSync(cacheDir, { recursive: true })
  const work = mkdtempSync(join(cacheDir, '.fetch-'))
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    }))
    execFileSync('tar', ['xzf', join(work, packed[0].filename), '-C', work])
    rmSync(target, { recursive: true, force: true })
    renameSync(join(work, 'package'), target)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  const got = versionOf(join(bin, 'node'))
  if (got !== `v${version}`) throw new Error(`${spec}: bin/node reports ${got ?? 'nothing'}, expected v${version}`)
  return bin
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = process.argv[2]
  if (!arg) {
    console.error('usage: node scripts/node-binary.mjs <x.y.z> | --pinned')
    process.exit(2)
  }
  const versions = arg === '--pinned' ? pinnedNodeVersions() : [arg]
  for (const v of versions) console.log(nodeBinDir(v))
}
