/**
 * The read-side conversation operations `Conversation` delegates to: history (the local log
 * merged with readable server history), safety numbers and reports (receipts: receipts/).
 */
import {
  MessageConflictError, NotFoundError, ParleyError, type ReportResult,
} from '@parley/protocol'
import { safetyNumber } from '@parley/crypto'
import { DEFAULT_HISTORY_LIMIT } from '../constants.js'
import type { Conversation, HistoryOptions, HistoryPage, ReportOptions } from './conversation.js'
import type { ClientCore } from '../core.js'
import type { Directory } from '../sessions/directory.js'
import type { JsonValue } from '../key-store/key-store.js'
import { readPage, toMessage, toReportEntry } from '../messages/message-log.js'
import { checkReadable, type CheckedReadable } from './readable.js'
import type { StoredMessage } from '../store-layout.js'
import type { Message, SafetyNumber } from '../types.js'
import { isTransient, randomId } from '../util.js'
import { isAction } from '../messages/apply-action.js'
import { withEditChains } from '../messages/report-chain.js'
import { notReceipt } from '../receipts/apply-receipt.js'
import { withReceipts } from '../receipts/report-receipts.js'
import { expiredSeqs } from '../disappearing/expire-message.js'
import { timerField } from '../disappearing/message-timer.js'
import { reportableContent, sweepEvidence } from '../messages/evidence.js'
import { seqOfId } from '../messages/find-message.js'

/** A page of history: this device's log, plus server-side messages from before it existed. */
export async function history(core: ClientCore, c: Conversation, opts: HistoryOptions): Promise<HistoryPage> {
  const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new RangeError(`"limit" expected an integer 1..100, got ${limit}`)
  if (opts.before !== undefined && (!Number.isInteger(opts.before) || opts.before < 0)) throw new RangeError('"before" expected a non-negative integer')
  const local = await readPage(core.store, c.id, opts.before, limit, notReceipt)
  // Edits, tombstones and reactions show on their targets (docs/messages.md), not as messages.
  const actionSeqs = new Set(local.filter(isAction).map((m) => m.seq))
  const bySeq = new Map<number, Message>(local.filter((m) => !isAction(m)).map((m) => [m.seq, toMessage(m)]))
  // Readable server history is merged only while the conversation is not pinned E2EE, and each
  // row passes the checks a live delivery passes (members, franking); a pinned conversation's
  // history is this device's log alone.
  // Groups: this device's log only (server history of a group may hold messages from before
  // this user joined, or from members since removed; docs/groups.md).
  if (core.isReady() && c.encryption !== 'e2ee' && c.kind !== 'group') {
    try {
      const page = await core.conn.request('history.fetch', { conversationId: c.id, limit, ...(opts.before !== undefined ? { before: opts.before } : {}) })
      const me = core.self().userId
      const gone = await expiredSeqs(core.store, c.id) // expired on this device: never brought back (decision 0023)
      for (const d of page.messages) {
        if (gone.has(d.seq)) continue
        // A row with a reference is shown only from this device's log, where its signature was checked.
        if (bySeq.has(d.seq) || actionSeqs.has(d.seq) || d.kind !== 'message' || d.mode !== 'server-side' || d.deleted || d.body?.ref) continue
        let row: CheckedReadable
        try {
          // Ids are unique in what a device shows: a row under an id the log holds for another seq is the server's conflict.
          const held = await seqOfId(core.store, c.id, d.messageId)
          if (held !== null && held !== d.seq) throw new MessageConflictError('server history holds another message under an id this device already holds; the stored one is kept', { conversationId: c.id, seq: d.seq })
          row = checkReadable(c, d)
        } catch (e) {
          if (!ParleyError.isInstance(e)) throw e
          const payload = { error: e, conversationId: c.id, messageId: d.messageId }
          c._emit('error', payload)
          core.events.emit('error', payload)
          continue
        }
        const stored: StoredMessage = {
          id: row.messageId, conversationId: c.id, seq: row.seq, ts: row.ts, sender: row.sender, outgoing: row.sender.userId === me,
          text: row.body.text, attachments: row.body.attachments.map((a) => ({ ...a })), encryption: 'server-side', nf: row.body.nf, ...row.franking,
          ...timerField(row.body.timer),
        }
        bySeq.set(row.seq, toMessage(stored))
      }
    } catch (e) {
      if (!isTransient(e)) throw e
    }
  }
  const messages = [...bySeq.values()].sort((a, b) => a.seq! - b.seq!).slice(-limit)
  const page: HistoryPage = { messages }
  if (messages.length === limit && messages[0]!.seq! > 0) page.nextBefore = messages[0]!.seq!
  return page
}

/** The safety number of this user and the peer (fetching the peer's keys when unknown). */
export async function safetyNumberFor(core: ClientCore, directory: Directory, c: Conversation): Promise<SafetyNumber> {
  const self = core.self()
  const peer = c.peerUserId
  // A changed device list (an account reset) is re-read, so a new identity shows up here in every mode.
  if (peer !== self.userId) await directory.refreshIfStale(peer)
  let rec = await directory.peer(peer)
  if (!rec && peer !== self.userId) {
    await core.whenReady()
    await directory.fetch(peer, { initiate: false }).catch((e) => {
      if (!ParleyError.is(e, 'identity_changed')) throw e
    })
    rec = await directory.peer(peer)
  }
  const key = peer === self.userId ? self.user.publicKey : rec?.pending?.identityKey ?? rec?.identityKey
  if (!key) throw new NotFoundError(`no identity key known for "${peer}"`, { resource: 'user', id: peer })
  return safetyNumber({ userId: self.userId, identityKey: self.user.publicKey }, { userId: peer, identityKey: key })
}

/** Reports the last `reportDepth` messages (or the given ones) with their franking openings. */
export async function report(core: ClientCore, c: Conversation, opts: ReportOptions): Promise<ReportResult> {
  if (!opts || typeof opts.reason !== 'string' || opts.reason.length === 0) throw new TypeError('"reason" expected a non-empty string')
  await core.whenReady()
  const depth = core.manifest()?.reportDepth ?? 5
  let entries: StoredMessage[]
  if (opts.messageIds) {
    const all = await readPage(core.store, c.id, undefined, Number.MAX_SAFE_INTEGER)
    entries = opts.messageIds.map((id) => {
      const m = all.find((x) => x.id === id)
      if (!m) throw new NotFoundError(`message "${id}" is not in this device's log`, { resource: 'message', id })
      return m
    }).sort((a, b) => a.seq - b.seq)
  } else {
    entries = await readPage(core.store, c.id, undefined, depth, notReceipt)
  }
  // An edited message carries its whole edit chain (and an edit its original) in the report;
  // then the receipts among the last N (never their targets: a receipt brings no message in).
  const lastN = opts.messageIds ? undefined : entries[0]?.seq
  entries = await withEditChains(core.store, c.id, entries)
  if (lastN !== undefined) entries = await withReceipts(core.store, c.id, entries, lastN)
  const now = core.now()
  await wipeDueEvidence(core, now)
  return core.conn.request('report.submit', {
    reportId: opts.reportId ?? randomId('r-'),
    conversationId: c.id,
    reason: opts.reason,
    // An edit of a deleted message whose kept content is gone proves nothing a tombstone could
    // cover (it carries no reference then): left out rather than sent as an unverifiable entry.
    entries: entries.filter((m) => !(isAction(m) && m.deleted && reportableContent(m, now) === null)).map((m) => toReportEntry(m, now)),
  })
}

/** Wipes kept content of deleted messages whose report window ended (messages/evidence.ts). */
async function wipeDueEvidence(core: ClientCore, now: number): Promise<void> {
  await core.lock.run(async () => {
    const changes: Record<string, JsonValue | null> = {}
    if (await sweepEvidence(core.store, now, changes)) await core.store.saveChanges(changes)
  })
}
