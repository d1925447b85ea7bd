/**
 * Every policy: two users with two devices each exchange 200 messages in both directions
 * while one device is offline for the first half (it restarts from its file key store); every
 * device ends with the same ordered history, nothing lost or duplicated.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { requestDeviceLink, type ParleyClient, type Conversation } from '@parley/client'
import { fileKeyStore } from '@parley/client/node'
import { connect, fullHistory, startServer, waitFor, type TestServer } from './helpers/parley.js'

const TOTAL = 200

for (const policy of ['server-side', 'optional-e2ee', 'default-e2ee'] as const) {
  describe(`two users × two devices: ${policy}`, () => {
    let server: TestServer
    let dir: string
    const open: ParleyClient[] = []
    afterAll(async () => {
      for (const c of open) await c.close().catch(() => {})
      await server?.close()
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    it(`${TOTAL} messages, one device offline for half: identical ordered histories`, async () => {
      server = await startServer({ policy })
      dir = await mkdtemp(join(tmpdir(), 'parley-md-'))
      const socketOptions = { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 }
      const alice1 = await connect(server.url, 'alice')
      const bob1 = await connect(server.url, 'bob')
      open.push(alice1, bob1)
      // Second devices, linked with one-time codes.
      const linkA = await requestDeviceLink({ deliveryReceipts: false, url: server.url, token: 'alice', keyStore: fileKeyStore({ path: join(dir, 'alice2.json') }), socketOptions })
      await alice1.linkDevice(linkA.code)
      const alice2 = await linkA.client
      open.push(alice2)
      const bob2Path = join(dir, 'bob2.json')
      const linkB = await requestDeviceLink({ deliveryReceipts: false, url: server.url, token: 'bob', keyStore: fileKeyStore({ path: bob2Path }), socketOptions })
      await bob1.linkDevice(linkB.code)
      let bob2 = await linkB.client
      expect(alice2.userId).toBe('alice')
      expect(bob2.userId).toBe('bob')

      const conv = await alice1.conversations.open('bob')
      const convId = conv.id
      const convOf = async (c: ParleyClient): Promise<Conversation> => c.conversations.get(convId) ?? (await c.conversations.open(c.userId === 'alice' ? 'bob' : 'alice'))
      // bob2 goes offline (its state stays in its file).
      await bob2.close()

      const send = async (c: ParleyClient, i: number) => (await convOf(c)).send({ text: `m${i} from ${c.userId}/${c.deviceId}` })
      const firstHalf = [alice1, bob1, alice2]
      for (let i = 0; i < TOTAL / 2; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, k) => send(firstHalf[(i + k) % firstHalf.length]!, i + k)))
      }
      bob2 = await (await import('@parley/client')).createParleyClient({ deliveryReceipts: false, url: server.url, token: 'bob', keyStore: fileKeyStore({ path: bob2Path }), socketOptions })
      open.push(bob2)
      await bob2.whenReady()
      const everyone = [alice1, bob1, alice2, bob2]
      const errors: string[] = []
      for (const c of everyone) c.on('error', (e) => errors.push(`${c.userId}/${c.deviceId}: ${e.error.code} ${e.error.message}`))
      for (let i = TOTAL / 2; i < TOTAL; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, k) => send(everyone[(i + k) % everyone.length]!, i + k)))
      }
      for (const c of everyone) {
        await waitFor(async () => (await fullHistory(c, convId)).length >= TOTAL, 60_000, `${c.userId}/${c.deviceId} has ${TOTAL}`)
      }
      const histories = await Promise.all(everyone.map((c) => fullHistory(c, convId)))
      const reference = histories[0]!.map((m) => `${m.seq}|${m.id}|${m.text}|${m.encryption}`)
      expect(reference).toHaveLength(TOTAL)
      expect(new Set(histories[0]!.map((m) => m.id)).size).toBe(TOTAL)
      const seqs = histories[0]!.map((m) => m.seq!)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
      for (let i = 0; i < TOTAL; i++) expect(histories[0]!.some((m) => m.text.startsWith(`m${i} from`))).toBe(true)
      for (const h of histories.slice(1)) expect(h.map((m) => `${m.seq}|${m.id}|${m.text}|${m.encryption}`)).toEqual(reference)
      const mode = policy === 'default-e2ee' ? 'e2ee' : 'server-side'
      expect(histories[0]!.every((m) => m.encryption === mode)).toBe(true)
      expect(errors).toEqual([])
    }, 120_000)
  })
}
