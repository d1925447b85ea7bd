import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { ParleyError } from '@parley/protocol'
import { memoryKeyStore } from '../src/index.js'
import { fileKeyStore } from '../src/node.js'
import { KEY_STORE_CONTRACT } from './key-store-contract.js'

const dirs: string[] = []
async function freshDir() {
  const d = await mkdtemp(join(tmpdir(), 'parley-ks-'))
  dirs.push(d)
  return d
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('KeyStore contract: memory', () => {
  for (const c of KEY_STORE_CONTRACT) it(c.name, () => c.run({ open: () => memoryKeyStore() }))
})

describe('KeyStore contract: file', () => {
  for (const c of KEY_STORE_CONTRACT) {
    it(c.name, async () => {
      const path = join(await freshDir(), 'nested', 'keys.json')
      await c.run({ open: () => fileKeyStore({ path }), reopen: () => fileKeyStore({ path }) })
    })
  }
})

describe('fileKeyStore specifics', () => {
  it('writes the file with 0600 permissions and leaves no temporary files', async () => {
    const dir = await freshDir()
    const path = join(dir, 'keys.json')
    const s = fileKeyStore({ path })
    await Promise.all(Array.from({ length: 20 }, (_, i) => s.set(`k${i}`, i)))
    await s.close()
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readdir(dir)).toEqual(['keys.json'])
  })

  it('refuses a corrupt file with StoreError instead of starting over', async () => {
    const path = join(await freshDir(), 'keys.json')
    await writeFile(path, '{"v":1,"entries":{"a":', 'utf8')
    const s = fileKeyStore({ path })
    await expect(s.get('a')).rejects.toSatisfy((e: unknown) => ParleyError.is(e, 'store_failure'))
    expect(await readFile(path, 'utf8')).toBe('{"v":1,"entries":{"a":') // untouched
  })

  it('rejects a bad path with TypeError', () => {
    expect(() => fileKeyStore({ path: '' })).toThrow(TypeError)
  })

  it('removes leftover temporary files of a crashed write on open', async () => {
    const dir = await freshDir()
    const path = join(dir, 'keys.json')
    const s = fileKeyStore({ path })
    await s.set('a', 1)
    await s.close()
    await writeFile(join(dir, 'keys.json.tmp-1-abc'), '{"v":1,"entr', 'utf8')
    const again = fileKeyStore({ path })
    expect(await again.get('a')).toBe(1)
    expect(await readdir(dir)).toEqual(['keys.json'])
    await again.close()
  })

  it('is never half-written when the process is SIGKILLed mid-write', async () => {
    const dir = await freshDir()
    const path = join(dir, 'keys.json')
    const writer = fileURLToPath(new URL('./fixtures/file-store-writer.ts', import.meta.url))
    // The child commits { n, copy: n, blob } pairs in a tight loop; we kill it at random points.
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@parley/source', writer, path], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      await new Promise<void>((resolve) => {
        let seen = 0
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString().split('\n').filter(Boolean).length
          if (seen >= 5 + round * 7) {
            child.kill('SIGKILL')
            resolve()
          }
        })
      })
      await new Promise((r) => child.once('exit', r))
      const s = fileKeyStore({ path })
      const n = await s.get<number>('n')
      expect(typeof n).toBe('number')
      expect(await s.get('copy')).toBe(n) // one commit, never half of two
      expect((await s.get<string>('blob'))?.length).toBe(64 * 1024)
      await s.close()
    }
  }, 60_000)
})
