/**
 * `parley.disclosure.export(scope)`: exactly what the server holds for a user or a
 * conversation over a time window — the honest answer to "what can we hand over in each mode".
 * Metadata always; message bodies only for messages stored server-side (opened with the data
 * keys); for end-to-end encrypted messages only how many envelopes the server holds and their
 * size; and the verified reports users submitted, which carry the content they chose to share.
 * Every export lands in the audit log.
 */
import {
  NotFoundError, type DeviceAddress, type EncryptionMode, type PlainBody, type VerifiedReport,
} from '@parley/protocol'
import { openBody, type Ctx } from '../context.js'
import { openReport } from '../report-seal.js'
import type { BlockRecord, MuteRecord, RequestRecord } from '../store/safety-store.js'
import { auditAction, checkText } from './api.js'

/** The most messages one conversation contributes to one export. */
export const MAX_DISCLOSED_MESSAGES = 100_000

/** What to export: one user's conversations or one conversation, within `[from, to)`. */
export type DisclosureScope = ({ userId: string; conversationId?: never } | { conversationId: string; userId?: never }) & {
  /** Start of the window, ms (default 0). */
  from?: number
  /** End of the window, ms, exclusive (default now). */
  to?: number
  /** Why (e.g. the legal request's reference); recorded in the audit log. */
  reason: string
  /** Who asks; the audit log's actor (default `'operator'`). */
  by?: string
}

/** One message as the server holds it. */
export interface DisclosedMessage {
  messageId: string
  seq: number
  ts: number
  sender: DeviceAddress
  kind: 'message' | 'mode_change' | 'roster'
  /** How it was stored: `server-side` (readable) or `e2ee` (ciphertext only). */
  mode: EncryptionMode
  deleted: boolean
  /** Server-side messages only: the text and attachments as the server stored them. */
  body?: PlainBody
  /** E2EE messages only: per-device envelopes the server still holds, and their bytes. */
  envelopes?: number
  ciphertextBytes?: number
  /** Members it was withheld from (a blocked sender's message to the blocker). */
  withheldFrom?: string[]
}

/** The safety state the server holds for a user (user scope only). */
export interface DisclosedSafety {
  blocked: BlockRecord[]
  muted: MuteRecord[]
  /** Message requests this user received. */
  requests: RequestRecord[]
}

export interface DisclosedConversation {
  conversationId: string
  kind: 'direct' | 'group'
  members: string[]
  /** The conversation's mode now (a conversation may hold server-side messages from before an upgrade). */
  encryption: EncryptionMode
  messages: DisclosedMessage[]
  /** Verified reports users submitted about this conversation (content they chose to share). */
  reports: VerifiedReport[]
}

export interface DisclosureExport {
  scope: { userId?: string; conversationId?: string; from: number; to: number }
  generatedAt: number
  conversations: DisclosedConversation[]
  /** User scope: the user's blocks, mutes and message requests as the server holds them. */
  safety?: DisclosedSafety
}

/** Every page of a keyset-paged safety list. */
async function all<T>(page: (after: string | undefined) => Promise<T[]>, key: (t: T) => string): Promise<T[]> {
  const out: T[] = []
  for (let after: string | undefined; ;) {
    const rows = await page(after)
    out.push(...rows)
    if (rows.length < SAFETY_PAGE) return out
    after = key(rows[rows.length - 1]!)
  }
}
const SAFETY_PAGE = 500

export interface DisclosureApi {
  /**
   * @throws {NotFoundError} unknown user or conversation.
   * @throws {TypeError|RangeError} a malformed scope.
   */
  export(scope: DisclosureScope): Promise<DisclosureExport>
}

function window(scope: DisclosureScope, now: number): { from: number; to: number } {
  const from = scope.from ?? 0
  const to = scope.to ?? now + 1
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to <= from) {
    throw new RangeError('"from" and "to" expected times in ms with from < to')
  }
  return { from, to }
}

export function createDisclosureApi(ctx: Ctx, ready: Promise<void>): DisclosureApi {
  return {
    async export(scope) {
      if (typeof scope !== 'object' || scope === null) throw new TypeError('"scope" expected an object')
      const byUser = typeof scope.userId === 'string'
      if (byUser === (typeof scope.conversationId === 'string')) throw new TypeError('"scope" expected exactly one of "userId" or "conversationId"')
      checkText(scope.reason, 'reason')
      await ready
      const now = ctx.now()
      const { from, to } = window(scope, now)
      const store = ctx.store
      let conversations
      if (byUser) {
        if (!(await store.getUser(scope.userId!))) throw new NotFoundError('unknown user', { resource: 'user', id: scope.userId! })
        conversations = await store.listConversations(scope.userId!)
      } else {
        const c = await store.getConversation(scope.conversationId!)
        if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: scope.conversationId! })
        conversations = [c]
      }
      const target = byUser ? scope.userId! : scope.conversationId!
      await auditAction(ctx, 'disclosure_export', target, scope, { from, to, scope: byUser ? 'user' : 'conversation' })
      const out: DisclosedConversation[] = []
      for (const c of conversations) {
        const held = await store.moderation.heldMessages(c.id, from, to, MAX_DISCLOSED_MESSAGES)
        const messages = held.map(({ message: m, envelopes, envelopeBytes }): DisclosedMessage => {
          const base = { messageId: m.id, seq: m.seq, ts: m.ts, sender: { ...m.sender }, kind: m.kind, mode: m.mode, deleted: m.deleted }
          if (m.mode === 'server-side') {
            const body = m.kind === 'message' && !m.deleted ? openBody(ctx, m) : undefined
            return body ? { ...base, body } : base
          }
          const attachmentBytes = (m.attachments ?? []).reduce((n, a) => n + Math.floor((a.ciphertext.length * 3) / 4), 0)
          // A sender-key group message: its one ciphertext is held once, on the message.
          const senderKeyBytes = m.senderKey ? Math.floor((m.senderKey.ciphertext.length * 3) / 4) : 0
          return { ...base, envelopes, ciphertextBytes: envelopeBytes + attachmentBytes + senderKeyBytes }
        })
        const withheld = new Map<string, string[]>()
        for (const member of c.members) {
          for (const id of await store.safety.withheldAmong(member, messages.map((m) => m.messageId))) withheld.set(id, [...(withheld.get(id) ?? []), member])
        }
        for (const m of messages) if (withheld.has(m.messageId)) m.withheldFrom = withheld.get(m.messageId)!
        const reports = (await store.moderation.reportsIn(c.id)).map((r) => openReport(ctx.dataKeys, r)).filter((r) => r.receivedAt >= from && r.receivedAt < to)
        out.push({ conversationId: c.id, kind: c.kind, members: [...c.members], encryption: c.encryption, messages, reports })
      }
      const scoped = { scope: { ...(byUser ? { userId: target } : { conversationId: target }), from, to }, generatedAt: now, conversations: out }
      if (!byUser) return scoped
      const safety: DisclosedSafety = {
        blocked: await all((after) => store.safety.listBlocked(target, after, SAFETY_PAGE), (b) => b.userId),
        muted: await all((after) => store.safety.listMuted(target, after, SAFETY_PAGE), (m) => m.conversationId),
        requests: await all((after) => store.safety.listRequests(target, after, SAFETY_PAGE), (r) => r.conversationId),
      }
      return { ...scoped, safety }
    },
  }
}
