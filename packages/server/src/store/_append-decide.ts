/**
 * The in-memory half of a SQL group commit: given what the database holds for a batch's
 * conversations and devices, decides every message (resend, refusal, seq, inbox ids, franking)
 * and lists the rows to write. Both SQL append paths (the locking one and the verified
 * single-statement one) decide through this function, so they cannot disagree.
 */
import { ForbiddenError, NotFoundError, type EncryptionMode } from '@parley/protocol'
import { checkMode, checkSendCoverage, deliverable, deviceKey } from './_rules.js'
import type { AppendOutcome, FrankingBinder, NewMessage, Recipient, StoredMessage } from './store.js'

/** A conversation as an append sees it. */
export interface AppendConversation {
  mode: EncryptionMode
  upgradeRequired: boolean
  lastSeq: number
  members: readonly string[]
}

/** What an append reads before deciding: conversations, active devices and their inbox seqs. */
export interface AppendState {
  /** Stored messages a batch message resends, by {@link dedupKey}. */
  stored: ReadonlyMap<string, StoredMessage>
  conversations: ReadonlyMap<string, AppendConversation>
  /** Active device ids of each member user, sorted. */
  devicesOf: ReadonlyMap<string, readonly string[]>
  /** Inbox seq of each active device, by {@link deviceKey}. */
  inboxSeq: ReadonlyMap<string, number>
}

/** One message row to insert. */
export interface MessageRow {
  id: string; conversationId: string; seq: number; userId: string; deviceId: string; clientMessageId: string; mode: EncryptionMode
  bodyKid: string | null; body: string | null; attachments: string | null; franking: string; expiresAt: number | null
  /** JSON of the sender-key message, or null. */
  senderKey: string | null
}
/** One inbox row to insert. */
export interface InboxRow { userId: string; deviceId: string; inboxId: number; messageId: string; type: string | null; ciphertext: string | null }
/** A counter moved by the batch, with the value it was read at. */
export interface SeqUpdate { id: string; prev: number; next: number; mode: EncryptionMode; upgradeRequired: boolean }
export interface CursorUpdate { userId: string; deviceId: string; prev: number; next: number }

/** The decided batch: an outcome per message, and the writes that make them durable. */
export interface Decided {
  outcomes: AppendOutcome[]
  messages: MessageRow[]
  inbox: InboxRow[]
  seqs: SeqUpdate[]
  cursors: CursorUpdate[]
  /** True when some message was refused or is a resend (not new). */
  anyNotNew: boolean
}

/** A device that gets an inbox row, with its {@link deviceKey}. */
interface Target { userId: string; deviceId: string; key: string }

/** The key that makes a resend a duplicate. */
export const dedupKey = (m: { conversationId: string; sender: { userId: string; deviceId: string }; clientMessageId: string }) =>
  `${m.conversationId}\n${m.sender.userId}\n${m.sender.deviceId}\n${m.clientMessageId}`

/** Decides `batch` against `state`, in order. Per-message refusals become outcomes, never throws. */
export function decideBatch(batch: readonly NewMessage[], state: AppendState, bind: FrankingBinder, now: number): Decided {
  const outcomes: (AppendOutcome | undefined)[] = new Array(batch.length)
  const lastSeq = new Map<string, number>()
  const inboxSeq = new Map<string, number>()
  const messages: MessageRow[] = []
  const inbox: InboxRow[] = []
  const inBatch = new Map<string, number>()
  let anyNotNew = false
  // Every device of a conversation's members, computed once per batch (senders differ only).
  const devicesByConversation = new Map<string, Target[]>()
  const devicesOfConversation = (id: string, c: AppendConversation): Target[] => {
    let all = devicesByConversation.get(id)
    if (!all) {
      all = []
      for (const userId of c.members) {
        for (const deviceId of state.devicesOf.get(userId) ?? []) all.push({ userId, deviceId, key: deviceKey({ userId, deviceId }) })
      }
      devicesByConversation.set(id, all)
    }
    return all
  }
  batch.forEach((nm, i) => {
    const dk = dedupKey(nm)
    const prior = state.stored.get(dk)
    if (prior) {
      outcomes[i] = { ok: true, duplicate: true, message: prior, recipients: [] }
      anyNotNew = true
      return
    }
    if (inBatch.has(dk)) return // resolved after the loop, from the first copy
    try {
      const c = state.conversations.get(nm.conversationId)
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: nm.conversationId })
      if (!c.members.includes(nm.sender.userId)) throw new ForbiddenError('not a member of this conversation')
      checkMode(nm.conversationId, c.mode, c.upgradeRequired, nm.mode)
      const senderKey = deviceKey(nm.sender)
      const targets = devicesOfConversation(nm.conversationId, c).filter((t) => t.key !== senderKey)
      if (nm.mode === 'e2ee') checkSendCoverage(nm, targets)
      const seq = (lastSeq.get(nm.conversationId) ?? c.lastSeq) + 1
      lastSeq.set(nm.conversationId, seq)
      const franking = bind(nm, seq, now)
      const message: StoredMessage = {
        id: nm.id, conversationId: nm.conversationId, seq, ts: now, kind: 'message', sender: { userId: nm.sender.userId, deviceId: nm.sender.deviceId },
        clientMessageId: nm.clientMessageId, mode: nm.mode, deleted: false, franking,
      }
      if (nm.sealedBody) message.sealedBody = nm.sealedBody
      if (nm.attachments?.length) message.attachments = nm.attachments
      if (nm.senderKey) message.senderKey = { ...nm.senderKey }
      if (nm.expiresAt !== undefined) message.expiresAt = nm.expiresAt
      messages.push({
        id: nm.id, conversationId: nm.conversationId, seq, userId: nm.sender.userId, deviceId: nm.sender.deviceId, clientMessageId: nm.clientMessageId,
        mode: nm.mode, bodyKid: nm.sealedBody?.kid ?? null, body: nm.sealedBody?.data ?? null,
        attachments: nm.attachments?.length ? JSON.stringify(nm.attachments) : null, franking: JSON.stringify(franking), expiresAt: nm.expiresAt ?? null,
        senderKey: nm.senderKey ? JSON.stringify(nm.senderKey) : null,
      })
      const envs = nm.envelopes?.length ? new Map(nm.envelopes.map((e) => [deviceKey(e), e])) : undefined
      // A blocked sender's message to the blocker: coverage checked first, then no inbox row for them.
      const recipients: Recipient[] = deliverable(targets, nm).map((t) => {
        const id = (inboxSeq.get(t.key) ?? state.inboxSeq.get(t.key) ?? 0) + 1
        inboxSeq.set(t.key, id)
        const e = envs?.get(t.key)
        inbox.push({ userId: t.userId, deviceId: t.deviceId, inboxId: id, messageId: nm.id, type: e?.type ?? null, ciphertext: e?.ciphertext ?? null })
        return e ? { userId: t.userId, deviceId: t.deviceId, inboxId: id, envelope: { type: e.type, ciphertext: e.ciphertext } } : { userId: t.userId, deviceId: t.deviceId, inboxId: id }
      })
      outcomes[i] = { ok: true, duplicate: false, message, recipients }
      inBatch.set(dk, i)
    } catch (error) {
      outcomes[i] = { ok: false, error }
      anyNotNew = true
    }
  })
  batch.forEach((nm, i) => {
    if (outcomes[i]) return
    const first = outcomes[inBatch.get(dedupKey(nm))!]!
    outcomes[i] = first.ok ? { ok: true, duplicate: true, message: first.message, recipients: [] } : first
  })
  const seqs: SeqUpdate[] = []
  for (const [id, next] of lastSeq) {
    const c = state.conversations.get(id)!
    seqs.push({ id, prev: c.lastSeq, next, mode: c.mode, upgradeRequired: c.upgradeRequired })
  }
  const cursors: CursorUpdate[] = []
  for (const [key, next] of inboxSeq) {
    const [userId, deviceId] = key.split('\n') as [string, string]
    cursors.push({ userId, deviceId, prev: state.inboxSeq.get(key) ?? 0, next })
  }
  return { outcomes: outcomes as AppendOutcome[], messages, inbox, seqs, cursors, anyNotNew }
}
