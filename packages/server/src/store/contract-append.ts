/**
 * Conformance tests for appends after the store has seen a conversation: every backend must
 * answer from the current database, whatever it remembers from earlier appends (the SQL
 * stores decide from a per-store cache and write with a checked statement; see
 * `_sql-append.ts`). Each test warms that memory with one append, changes the database
 * behind it, and appends again. Not part of the public entry point (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import { addr, bind, code, e2ee, makeUser, pairIn, plain, registerAll, registration, withFreshStore } from './_contract-fixtures.js'
import type { AppendOutcome, ParleyStore } from './store.js'

const seqOf = (o: AppendOutcome | undefined) => (o?.ok ? o.message.seq : `error ${code(o?.error)}`)
const to = (o: AppendOutcome | undefined) => (o?.ok ? o.recipients.map((r) => `${r.userId}/${r.deviceId}#${r.inboxId}`).sort() : [])

/**
 * Registers the append tests for one backend. `open` returns a fresh, empty store.
 * @example appendContract('memory', async () => memoryStore())
 */
export function appendContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`ParleyStore append contract: ${name}`, () => {
    const withStore = withFreshStore(open)

    it('many batches into one conversation: seqs and each device’s inbox ids stay contiguous', () => withStore(async (s) => {
      const { a, b, c } = await pairIn(s)
      const seqs: unknown[] = []
      for (let i = 0; i < 5; i++) {
        const out = await s.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(b, 0)), plain(c.id, addr(a, 1))], bind, 100 + i)
        seqs.push(...out.map(seqOf))
      }
      expect(seqs).toEqual(Array.from({ length: 15 }, (_, i) => i + 1))
      expect((await s.inboxAfter(addr(b, 0), 0, 100, 200)).map((d) => d.inboxId)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1))
      expect((await s.getDevice(b.userId, 'd0'))?.inboxSeq).toBe(10)
      expect((await s.getConversation(c.id))?.lastSeq).toBe(15)
    }))

    it('a device registered after an append gets the next message', () => withStore(async (s) => {
      const { a, b, c } = await pairIn(s, 'server-side', 1, 1)
      await s.appendMessages([plain(c.id, addr(a, 0))], bind, 100)
      const grown = { ...b, devices: [...b.devices, { ...b.devices[0]!, deviceId: 'd1' }], list: { ...b.list, version: 2 } }
      grown.list.devices = grown.devices
      await s.registerDevice(registration(grown, 1))
      const [out] = await s.appendMessages([plain(c.id, addr(a, 0))], bind, 200)
      expect(to(out)).toEqual([`${b.userId}/d0#2`, `${b.userId}/d1#1`])
    }))

    it('a device dropped from the list after an append gets nothing more', () => withStore(async (s) => {
      const { a, b, c } = await pairIn(s, 'server-side', 1, 2)
      await s.appendMessages([plain(c.id, addr(a, 0))], bind, 100)
      await s.setDeviceList(b.userId, { ...b.list, version: 2, devices: [b.devices[0]!] })
      const [out] = await s.appendMessages([plain(c.id, addr(a, 0))], bind, 200)
      expect(to(out)).toEqual([`${b.userId}/d0#2`])
    }))

    it('after an upgrade that follows an append: plain sends are refused, e2ee continues the seq', () => withStore(async (s) => {
      const { a, b, c } = await pairIn(s)
      await s.appendMessages([plain(c.id, addr(a, 0))], bind, 100)
      const mc = { conversationId: c.id, from: 'server-side' as const, to: 'e2ee' as const, userId: a.userId, deviceId: 'd0', ts: 5, signature: 'A'.repeat(88) }
      await s.upgradeConversation({ conversationId: c.id, modeChange: mc, messageId: `mc-${c.id}`, now: 150 })
      const [refused] = await s.appendMessages([plain(c.id, addr(b, 0))], bind, 200)
      expect(seqOf(refused)).toBe('error downgrade_rejected')
      const [sealed] = await s.appendMessages([e2ee(c.id, addr(b, 0), [addr(a, 0), addr(a, 1)])], bind, 300)
      expect(seqOf(sealed)).toBe(3)
      expect(to(sealed)).toEqual([`${a.userId}/d0#1`, `${a.userId}/d1#3`])
    }))

    it('a resend of a message stored by an earlier batch is a duplicate, and the next send still gets the next seq', () => withStore(async (s) => {
      const { a, c } = await pairIn(s)
      const m = plain(c.id, addr(a, 0))
      await s.appendMessages([m, plain(c.id, addr(a, 0))], bind, 100)
      const [again, next] = await s.appendMessages([{ ...m, id: 'm-again' }, plain(c.id, addr(a, 0))], bind, 200)
      expect(again?.ok && again.duplicate && again.message.id).toBe(m.id)
      expect(seqOf(next)).toBe(3)
    }))

    it('a conversation of another pair in the same batch is read fresh beside one seen before', () => withStore(async (s) => {
      const p1 = await pairIn(s)
      await s.appendMessages([plain(p1.c.id, addr(p1.a, 0))], bind, 100)
      const p2 = await pairIn(s)
      const u = makeUser(1)
      await registerAll(s, u)
      const out = await s.appendMessages([plain(p1.c.id, addr(p1.a, 0)), plain(p2.c.id, addr(p2.b, 0)), plain(p2.c.id, addr(u, 0))], bind, 200)
      expect(out.map(seqOf)).toEqual([2, 1, 'error forbidden'])
    }))
  })
}
