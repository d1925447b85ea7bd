/**
 * Conformance tests for groups (docs/groups.md): every backend creates a group from its first
 * roster record, appends records only on the version and head it holds (compare-and-set), fans
 * each record out to every device of the members before and after it in the same transaction,
 * and applies membership to appends at once (a removed member's sends are refused and its
 * devices get nothing sent after). The store does not verify signatures: the server does that
 * before writing (`applyRosterRecord`), so records here carry placeholder signatures. Not part
 * of the public entry point (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import { ROSTER_GENESIS, type GroupRole, type RosterRecord } from '@parley/protocol'
import type { RosterState } from '@parley/crypto'
import { addr, b64, bind, code, e2ee, makeUser, plain, registerAll, rejects, uid, withFreshStore, type TestUser } from './_contract-fixtures.js'
import type { ParleyStore, RosterOutcome } from './store.js'

const to = (o: RosterOutcome) => o.recipients.map((r) => `${r.userId}/${r.deviceId}`).sort()

/** A group's roster as a test drives it: records with placeholder signatures and the states they lead to. */
class TestRoster {
  state: RosterState
  constructor(readonly id: string) {
    this.state = { conversationId: id, version: 0, head: ROSTER_GENESIS, members: {}, title: '' }
  }
  next(by: TestUser, change: RosterRecord['change'], members: Record<string, GroupRole>, title = this.state.title) {
    const record: RosterRecord = { conversationId: this.id, version: this.state.version + 1, prev: this.state.head, change, userId: by.userId, deviceId: 'd0', ts: 5, signature: b64(64) }
    const state: RosterState = { conversationId: this.id, version: record.version, head: b64(32), members, title }
    return { record, state, messageId: `r-${uid()}`, now: 50 + record.version }
  }
}

async function groupOf(s: ParleyStore, mode: 'server-side' | 'e2ee' = 'server-side') {
  const a = makeUser(2)
  const b = makeUser(1)
  const c = makeUser(2)
  for (const u of [a, b, c]) await registerAll(s, u)
  const r = new TestRoster(`g-${uid()}`)
  const w = r.next(a, { action: 'create', title: 'team', members: [{ userId: a.userId, role: 'admin' }, { userId: b.userId, role: 'member' }] }, { [a.userId]: 'admin', [b.userId]: 'member' }, 'team')
  const created = await s.createGroup({ ...w, mode, upgradeRequired: false })
  r.state = w.state
  return { a, b, c, r, created }
}

/**
 * Registers the group tests for one backend. `open` returns a fresh, empty store.
 * @example groupContract('memory', async () => memoryStore())
 */
export function groupContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`ParleyStore group contract: ${name}`, () => {
    const withStore = withFreshStore(open)

    it('creates a group: kind, members, roster version, the record at seq 1 to every member device but the creator’s', () => withStore(async (s) => {
      const { a, b, r, created } = await groupOf(s)
      expect(created.conversation).toMatchObject({ id: r.id, kind: 'group', members: [a.userId, b.userId].sort(), rosterVersion: 1, lastSeq: 1 })
      expect(created.message).toMatchObject({ kind: 'roster', seq: 1, sender: addr(a, 0) })
      expect(to(created)).toEqual([`${a.userId}/d1`, `${b.userId}/d0`].sort())
      const [row] = await s.inboxAfter(addr(b, 0), 0, 10, 100)
      expect(row?.message.roster).toEqual(created.message.roster)
      expect(await s.rosterState(r.id)).toEqual(r.state)
      expect((await s.listConversations(b.userId)).map((c) => c.id)).toEqual([r.id])
      expect(await rejects(s.createGroup({ ...r.next(a, { action: 'title', title: 'x' }, {}), mode: 'server-side', upgradeRequired: false }))).toBe('roster_rejected')
    }))

    it('add and remove move membership for appends at once; a removed member gets its removal and nothing after', () => withStore(async (s) => {
      const { a, b, c, r } = await groupOf(s)
      const add = r.next(a, { action: 'add', userIds: [c.userId] }, { ...r.state.members, [c.userId]: 'member' })
      const added = await s.appendRoster(add)
      r.state = add.state
      expect(added.conversation.members).toEqual([a.userId, b.userId, c.userId].sort())
      expect(to(added)).toEqual([`${a.userId}/d1`, `${b.userId}/d0`, `${c.userId}/d0`, `${c.userId}/d1`].sort())
      const [m1] = await s.appendMessages([plain(r.id, addr(c, 1))], bind, 60)
      expect(m1?.ok && m1.message.seq).toBe(3)
      const rm = r.next(a, { action: 'remove', userIds: [b.userId] }, { [a.userId]: 'admin', [c.userId]: 'member' })
      const removed = await s.appendRoster(rm)
      r.state = rm.state
      expect(to(removed)).toContain(`${b.userId}/d0`) // b learns of its removal
      expect(removed.conversation.members).toEqual([a.userId, c.userId].sort())
      const [refused] = await s.appendMessages([plain(r.id, addr(b, 0))], bind, 70)
      expect(refused?.ok === false && code(refused.error)).toBe('forbidden')
      const [after] = await s.appendMessages([plain(r.id, addr(a, 0))], bind, 71)
      expect(after?.ok && after.recipients.map((x) => x.userId)).not.toContain(b.userId)
      const bRows = await s.inboxAfter(addr(b, 0), 0, 100, 100)
      expect(bRows.map((d) => d.message.kind)).toEqual(['roster', 'roster', 'message', 'roster'])
      expect(await s.listConversations(b.userId)).toEqual([])
      expect((await s.rosterRecords(r.id, 0, 10)).map((e) => [e.record.version, e.seq])).toEqual([[1, 1], [2, 2], [3, 4]])
      expect((await s.rosterRecords(r.id, 1, 1)).map((e) => e.record.version)).toEqual([2])
    }))

    it('an e2ee group send must cover every device of the current members, and only those', () => withStore(async (s) => {
      const { a, b, c, r } = await groupOf(s, 'e2ee')
      const [bad] = await s.appendMessages([e2ee(r.id, addr(a, 0), [addr(a, 1), addr(b, 0), addr(c, 0)])], bind, 60)
      expect(bad?.ok === false && code(bad.error)).toBe('invalid_device_list')
      const [ok] = await s.appendMessages([e2ee(r.id, addr(a, 0), [addr(a, 1), addr(b, 0)])], bind, 61)
      expect(ok?.ok).toBe(true)
    }))

    it('a record not on the held version and head is refused as stale, and nothing is written', () => withStore(async (s) => {
      const { a, c, r } = await groupOf(s)
      const w = r.next(a, { action: 'add', userIds: [c.userId] }, { ...r.state.members, [c.userId]: 'member' })
      expect(await rejects(s.appendRoster({ ...w, record: { ...w.record, version: 3 } }))).toBe('roster_rejected')
      expect(await rejects(s.appendRoster({ ...w, record: { ...w.record, prev: ROSTER_GENESIS } }))).toBe('roster_rejected')
      expect(await rejects(s.appendRoster({ ...w, record: { ...w.record, conversationId: 'nope' } }))).toBe('not_found')
      expect((await s.getConversation(r.id))).toMatchObject({ lastSeq: 1, rosterVersion: 1 })
      expect(await s.rosterRecords(r.id, 1, 10)).toEqual([])
      await s.appendRoster(w)
      expect(await rejects(s.appendRoster(w))).toBe('roster_rejected') // the same record twice
    }))

    it('history holds the roster records in seq order with the messages', () => withStore(async (s) => {
      const { a, b, r } = await groupOf(s)
      await s.appendMessages([plain(r.id, addr(b, 0))], bind, 60)
      const t = r.next(a, { action: 'title', title: 'renamed' }, r.state.members, 'renamed')
      await s.appendRoster(t)
      const rows = await s.history(r.id, addr(b, 0), undefined, 10, 100)
      expect(rows.map((d) => [d.message.seq, d.message.kind])).toEqual([[3, 'roster'], [2, 'message'], [1, 'roster']])
      expect(rows[0]!.message.roster?.change).toEqual({ action: 'title', title: 'renamed' })
      expect((await s.rosterState(r.id))?.title).toBe('renamed')
      expect(await s.rosterState('unknown')).toBeNull()
    }))

    it('sender keys: one ciphertext stored once; coverage by holders or a distribution now; holders recorded; a stale chain refused', () => withStore(async (s) => {
      const { a, b, c, r } = await groupOf(s, 'e2ee')
      const sender = addr(a, 0)
      const others = [addr(a, 1), addr(b, 0)]
      const chain = { conversationId: r.id, sender, keyId: 7 }
      const sk = (to: typeof others, holders: typeof others) => ({ ...e2ee(r.id, sender, to), senderKey: { keyId: 7, ciphertext: b64(120) }, senderKeyHolders: holders })
      const first = sk(others, await s.senderKeys.holders(chain))
      const [out] = await s.appendMessages([first], bind, 60)
      expect(out).toMatchObject({ ok: true, message: { senderKey: first.senderKey } })
      const [row] = (await s.inboxAfter(addr(b, 0), 1, 10, 100))
      expect(row).toMatchObject({ message: { senderKey: first.senderKey }, envelope: { ciphertext: first.envelopes![1]!.ciphertext } })
      await s.senderKeys.addHolders(chain, others)
      await s.senderKeys.addHolders(chain, [addr(b, 0)]) // idempotent
      const held = await s.senderKeys.holders(chain)
      expect(held.map((d) => `${d.userId}/${d.deviceId}`).sort()).toEqual(others.map((d) => `${d.userId}/${d.deviceId}`).sort())
      expect(await s.senderKeys.holders({ ...chain, keyId: 8 })).toEqual([])
      // A removed user is forgotten as holder and as sender (in that group only).
      const bChain = { conversationId: r.id, sender: addr(b, 0), keyId: 9 }
      await s.senderKeys.addHolders(bChain, [addr(a, 0)])
      await s.senderKeys.addHolders({ ...chain, keyId: 10 }, others)
      await s.senderKeys.dropUsers(r.id, [b.userId])
      expect(await s.senderKeys.holders(bChain)).toEqual([])
      expect((await s.senderKeys.holders({ ...chain, keyId: 10 })).map((d) => `${d.userId}/${d.deviceId}`)).toEqual([`${a.userId}/${addr(a, 1).deviceId}`])
      await s.senderKeys.dropUsers(r.id, [])
      // A device id registered again with new keys is forgotten as holder and as sender (decision 0022).
      const a1Chain = { conversationId: r.id, sender: addr(a, 1), keyId: 11 }
      await s.senderKeys.addHolders(a1Chain, [addr(a, 0)])
      await s.senderKeys.addHolders({ ...chain, keyId: 12 }, [addr(a, 1), addr(b, 0)])
      await s.senderKeys.dropDevice(addr(a, 1))
      expect(await s.senderKeys.holders(a1Chain)).toEqual([])
      expect((await s.senderKeys.holders({ ...chain, keyId: 12 })).map((d) => `${d.userId}/${d.deviceId}`)).toEqual([`${b.userId}/${addr(b, 0).deviceId}`])
      await s.senderKeys.addHolders(chain, [addr(b, 0)])
      const second = sk([], held)
      const [ok2] = await s.appendMessages([second], bind, 61)
      expect(ok2?.ok).toBe(true)
      const rows = await s.inboxAfter(addr(b, 0), 2, 10, 100)
      expect(rows[0]).toMatchObject({ message: { id: second.id, senderKey: second.senderKey } })
      expect(rows[0]?.envelope).toBeUndefined()
      const [missing] = await s.appendMessages([sk([], [addr(b, 0)])], bind, 62)
      expect(!missing!.ok && code(missing!.error)).toBe('invalid_device_list')
      const [twice] = await s.appendMessages([sk([addr(b, 0)], held)], bind, 62)
      expect(!twice!.ok && code(twice!.error)).toBe('invalid_device_list')
      const [stale] = await s.appendMessages([sk([], [...held, addr(c, 0)])], bind, 62)
      expect(!stale!.ok && (stale!.error as { details?: { reason?: string } }).details?.reason).toBe('sender_key_stale')
      const deleted = await s.deleteMessage({ conversationId: r.id, messageId: second.id, byUserId: a.userId })
      expect(deleted.senderKey).toBeUndefined()
      expect((await s.inboxAfter(addr(b, 0), 2, 10, 100))[0]?.message.senderKey).toBeUndefined()
      // The message that carried the chain, deleted: its ciphertext goes, its distributions stay (docs/messages.md).
      await s.deleteMessage({ conversationId: r.id, messageId: first.id, byUserId: a.userId })
      const [kept] = await s.inboxAfter(addr(b, 0), 1, 1, 100)
      expect(kept).toMatchObject({ message: { id: first.id, deleted: true }, envelope: { ciphertext: first.envelopes![1]!.ciphertext } })
      expect(kept!.message.senderKey).toBeUndefined()
      expect((await s.history(r.id, addr(b, 0), undefined, 10, 100)).find((d) => d.message.id === first.id)?.envelope?.ciphertext).toBe(first.envelopes![1]!.ciphertext)
      // Deleted a second time (a moderator after the author, a retry, a second device): the distribution still stays.
      await s.deleteMessage({ conversationId: r.id, messageId: first.id, byUserId: null })
      const [again] = await s.inboxAfter(addr(b, 0), 1, 1, 100)
      expect(again).toMatchObject({ message: { id: first.id, deleted: true }, envelope: { ciphertext: first.envelopes![1]!.ciphertext } })
    }))
  })
}
