/**
 * The memory store's groups (docs/groups.md): create a group, append a roster record
 * (compare-and-set on the held version and head), read the state and the records. A record is
 * the conversation's next message, delivered to every active device of the members before or
 * after the change but the signer's (`_sql-groups.ts` is the SQL counterpart).
 */
import { NotFoundError, RosterRejectedError } from '@parley/protocol'
import { clone, type MemoryState } from './_memory-state.js'
import type { ConversationRecord, ParleyStore, Recipient, RosterOutcome, RosterWrite, StoredMessage } from './store.js'

type GroupMethods = Pick<ParleyStore, 'createGroup' | 'appendRoster' | 'rosterState' | 'rosterRecords'>

export function memoryGroupMethods(s: MemoryState): GroupMethods {
  const { conversations, bySeq, rosters, activeDevices, deliver, addMessage } = s
  const methods: GroupMethods = {
    async createGroup(args) {
      const { record } = args
      if (conversations.has(record.conversationId)) throw new RosterRejectedError('the group exists already', { conversationId: record.conversationId, version: 1, reason: 'stale' })
      const c: ConversationRecord = {
        id: record.conversationId, kind: 'group', members: [], encryption: args.mode, upgradeRequired: args.upgradeRequired, createdAt: args.now, lastSeq: 0,
      }
      conversations.set(c.id, c)
      return writeRoster(c, [], args)
    },
    async appendRoster(args) {
      const { record } = args
      const c = conversations.get(record.conversationId)
      const held = rosters.get(record.conversationId)
      if (!c || !held) throw new NotFoundError('unknown group', { resource: 'conversation', id: record.conversationId })
      if (held.version !== record.version - 1 || held.head !== record.prev) {
        throw new RosterRejectedError('the roster changed since this record was signed: fetch it and try again', { conversationId: c.id, version: record.version, reason: 'stale' })
      }
      return writeRoster(c, c.members, args)
    },
    async rosterState(id) {
      const r = rosters.get(id)
      return r ? clone(r) : null
    },
    async rosterRecords(id, after, limit) {
      return (bySeq.get(id) ?? []).filter((m) => m.kind === 'roster' && m.roster!.version > after).slice(0, limit).map((m) => ({ record: clone(m.roster!), seq: m.seq }))
    },
  }

  /** Writes a roster record as the next message of `c`, the state, and the inbox rows. */
  function writeRoster(c: ConversationRecord, before: readonly string[], { record, state, messageId, now }: RosterWrite): RosterOutcome {
    c.lastSeq += 1
    c.members = Object.keys(state.members).sort()
    c.rosterVersion = state.version
    rosters.set(c.id, clone(state))
    const m: StoredMessage = {
      id: messageId, conversationId: c.id, seq: c.lastSeq, ts: now, kind: 'roster',
      sender: { userId: record.userId, deviceId: record.deviceId }, mode: c.encryption, roster: clone(record), deleted: false,
    }
    addMessage(m)
    const recipients: Recipient[] = []
    for (const u of [...new Set([...before, ...c.members])].sort()) for (const d of activeDevices(u)) {
      if (u === record.userId && d.deviceId === record.deviceId) continue
      recipients.push(deliver(d, m.id))
    }
    return { conversation: clone(c), message: clone(m), recipients }
  }
  return methods
}
