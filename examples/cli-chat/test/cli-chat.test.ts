/**
 * Two cli-chat processes chat through a spawned web-chat server (PGlite, optional-e2ee),
 * driven over stdin/stdout: messages both ways, the upgrade, matching safety numbers, the
 * moderation block, a report, and a restart that finds the keys and history in the key file.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI_DIR, run, WEB_CHAT_DIR, type Proc } from './process.js'

let server: Proc
let url: string
let dir: string

const cli = (user: string, peer: string) =>
  run(['src/index.ts', '--url', url, '--user', user, '--peer', peer, '--data', join(dir, 'keys')], { cwd: CLI_DIR, name: user })

describe('cli-chat', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-cli-chat-'))
    server = run(['src/server.ts'], {
      cwd: WEB_CHAT_DIR,
      name: 'server',
      env: { PORT: '0', PARLEY_DATA_DIR: join(dir, 'server'), PARLEY_POLICY: 'optional-e2ee' },
    })
    url = (await server.waitFor(/listening on (http:\/\/localhost:\d+)/, 90_000))[1]!
  }, 120_000)

  afterAll(async () => {
    await server?.exit('SIGTERM')
    await rm(dir, { recursive: true, force: true })
  })

  it('two terminals chat, upgrade, compare safety numbers, get blocked, report', async () => {
    const alice = cli('alice', 'bob')
    const bob = cli('bob', 'alice')
    try {
      await alice.waitFor(/\* ready/)
      await bob.waitFor(/\* ready/)
      expect(alice.output()).toContain('conversation with bob: server-side')

      alice.write('hello bob')
      await bob.waitFor(/\] alice: hello bob/)
      bob.write('hi alice')
      await alice.waitFor(/\] bob: hi alice/)
      await alice.waitFor(/read by bob/)

      alice.write('/upgrade')
      await alice.waitFor(/\* upgraded: end-to-end encrypted/)
      await bob.waitFor(/\* mode: end-to-end encrypted/)
      await bob.waitFor(/\* notice: alice turned on end-to-end encryption/)

      alice.write('this one is private')
      await bob.waitFor(/\] \[e2ee\] alice: this one is private/)

      alice.write('/safety')
      bob.write('/safety')
      const a = (await alice.waitFor(/safety number with bob: ([\d ]+)/))[1]!.trim()
      const b = (await bob.waitFor(/safety number with alice: ([\d ]+)/))[1]!.trim()
      expect(a.replace(/ /g, '')).toMatch(/^\d{60}$/)
      expect(b).toBe(a)

      alice.write('what a badword')
      await alice.waitFor(/! not sent: contains a word this demo blocks \(demo-keyword-filter\)/)
      alice.write('ok, sorry')
      await bob.waitFor(/alice: ok, sorry/)
      expect(bob.output()).not.toContain('badword')

      bob.write('/report spam')
      const [, verified, total] = await bob.waitFor(/report sent: (\d+)\/(\d+) messages verified/)
      expect(Number(total)).toBeGreaterThan(0)
      expect(verified).toBe(total)

      alice.write('/quit')
      bob.write('/quit')
      expect(await alice.exit()).toBe(0)
      expect(await bob.exit()).toBe(0)
    } catch (e) {
      console.warn(`alice:\n${alice.output()}\nbob:\n${bob.output()}\nserver:\n${server.output()}`)
      throw e
    } finally {
      await alice.exit('SIGKILL')
      await bob.exit('SIGKILL')
    }
  }, 120_000)

  it('keeps keys in the file key store: a restart is the same device, with history', async () => {
    const file = join(dir, 'keys', 'alice.json')
    expect(((await stat(file)).mode & 0o777).toString(8)).toBe('600')
    const before = JSON.parse(await readFile(file, 'utf8')) as unknown
    expect(before).toBeTruthy()
    const deviceLine = /connected as alice \(device (\S+),/
    const alice = cli('alice', 'bob')
    try {
      const device = (await alice.waitFor(deviceLine))[1]
      await alice.waitFor(/\* ready/)
      expect(alice.output()).toContain('end-to-end encrypted')
      expect(alice.output()).toMatch(/you: this one is private/)
      expect(alice.output()).toMatch(/bob: hi alice/)
      // The device id is the one registered on first run (kept in the file).
      expect(JSON.stringify(before)).toContain(device)
      alice.write('/quit')
      expect(await alice.exit()).toBe(0)
    } catch (e) {
      console.warn(`alice:\n${alice.output()}`)
      throw e
    } finally {
      await alice.exit('SIGKILL')
    }
  }, 60_000)
})
