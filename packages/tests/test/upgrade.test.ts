/**
 * optional-e2ee: a conversation starts server-side, either side upgrades mid-stream (while
 * messages are in flight), and it continues E2EE; the server's store then holds only
 * ciphertext for the new messages (checked by reading the store).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { fromBase64 } from '@parley/protocol'
import type { ModeEventPayload, ParleyClient } from '@parley/client'
import { connect, fullHistory, startServer, waitFor, type TestServer } from './helpers/parley.js'

const contains = (hay: Uint8Array, needle: Uint8Array) => {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return true
  }
  return false
}

for (const upgrader of ['alice', 'bob'] as const) {
  describe(`optional-e2ee upgraded mid-stream by ${upgrader}`, () => {
    let server: TestServer
    const clients: ParleyClient[] = []
    afterAll(async () => {
      for (const c of clients) await c.close()
      await server?.close()
    })

    it('continues E2EE and the store holds only ciphertext for new messages', async () => {
      server = await startServer({ policy: 'optional-e2ee' })
      const alice = await connect(server.url, 'alice')
      const bob = await connect(server.url, 'bob')
      clients.push(alice, bob)
      const ca = await alice.conversations.open('bob')
      const cb = await bob.conversations.open('alice')
      expect(cb.id).toBe(ca.id)
      expect(ca.encryption).toBe('server-side')
      const modes: ModeEventPayload[] = []
      const other = upgrader === 'alice' ? cb : ca
      other.on('mode', (m) => modes.push(m))
      const errors: string[] = []
      for (const c of [alice, bob]) c.on('error', (e) => errors.push(`${c.userId}: ${e.error.code}`))

      for (let i = 0; i < 10; i++) await (i % 2 ? cb : ca).send({ text: `before-${i}` })
      // Upgrade while both sides keep sending.
      const inFlight = Array.from({ length: 10 }, (_, i) => (i % 2 ? cb : ca).send({ text: `during-${i}` }))
      await (upgrader === 'alice' ? ca : cb).upgradeToE2EE()
      await Promise.all(inFlight)
      await waitFor(() => other.encryption === 'e2ee', 10_000, 'peer pins e2ee')
      const markers: string[] = []
      for (let i = 0; i < 10; i++) {
        const marker = `secret-after-${i}-${upgrader}`
        markers.push(marker)
        const ack = await (i % 2 ? cb : ca).send({ text: marker })
        expect(ack.seq).toBeGreaterThan(0)
      }
      expect(ca.encryption).toBe('e2ee')
      expect(cb.encryption).toBe('e2ee')
      expect(modes.some((m) => m.encryption === 'e2ee' && m.by?.userId === upgrader)).toBe(true)
      for (const c of [alice, bob]) await waitFor(async () => (await fullHistory(c, ca.id)).length === 30, 20_000, 'all 30 messages')
      const ha = await fullHistory(alice, ca.id)
      const hb = await fullHistory(bob, ca.id)
      expect(ha.map((m) => `${m.seq}:${m.text}:${m.encryption}`)).toEqual(hb.map((m) => `${m.seq}:${m.text}:${m.encryption}`))
      expect(ha.filter((m) => m.text.startsWith('secret-after')).every((m) => m.encryption === 'e2ee')).toBe(true)
      expect(ha.filter((m) => m.text.startsWith('before')).every((m) => m.encryption === 'server-side')).toBe(true)

      // Read the store: every message after the mode change is e2ee with no body, and no
      // stored byte (row JSON, envelopes, attachments) contains the plaintext.
      const store = server.parley.store()
      const rows = await store.history(ca.id, { userId: 'bob', deviceId: bob.deviceId }, undefined, 100, Date.now())
      const upgradeSeq = rows.find((r) => r.message.kind === 'mode_change')?.message.seq
      expect(upgradeSeq).toBeDefined()
      const after = rows.filter((r) => r.message.seq > upgradeSeq! && r.message.kind === 'message')
      expect(after.length).toBeGreaterThanOrEqual(10)
      const enc = new TextEncoder()
      for (const r of after) {
        expect(r.message.mode).toBe('e2ee')
        expect(r.message.sealedBody).toBeUndefined()
        const json = JSON.stringify(r)
        for (const marker of markers) {
          expect(json.includes(marker)).toBe(false)
          if (r.envelope) expect(contains(fromBase64(r.envelope.ciphertext), enc.encode(marker))).toBe(false)
        }
      }
      expect(errors).toEqual([])
    }, 60_000)
  })
}
