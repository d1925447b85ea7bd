/**
 * `client.requests`: message requests this user received (issue 15). A first contact the
 * server's `canMessage` rule marks `'request'` stays a request until this user accepts it or
 * replies; meanwhile neither side gets the other's typing or receipts, and the conversation
 * (`conversation.request`) and each incoming message (`message.request`) say it is one, so an
 * app renders no link previews or attachments by default. Reporting a request is reporting its
 * conversation: the same verified report as any other.
 */
import type { ReportResult } from '@parley/protocol'
import type { Conversation, ReportOptions } from '../conversations/conversation.js'
import type { ClientCore } from '../core.js'
import type { SafetyState } from './state.js'
import type { Users } from './users.js'

/** An open message request: `userId` made first contact in `conversation`. */
export interface MessageRequest {
  readonly conversationId: string
  /** Who made first contact. */
  readonly userId: string
  /** `pending`, or `declined` (listed only with `includeDeclined`; their next message makes it pending again). */
  readonly state: 'pending' | 'declined'
  /** When it reached that state (server time, ms). */
  readonly since: number
  readonly conversation: Conversation
  /** Accepts it on every device of this user: typing and receipts flow from now on. @throws {NotFoundError} no longer open. */
  accept(): Promise<void>
  /** Declines it (out of `list()`); the sender is not told. @throws {NotFoundError} no longer open. */
  decline(): Promise<void>
  /** Reports the conversation, exactly as `conversation.report()`. */
  report(opts: ReportOptions): Promise<ReportResult>
  /** Blocks the sender, then declines the request. */
  block(): Promise<void>
}

/** `client.requests`. */
export interface Requests {
  /**
   * The open requests this user received, from the server: pending ones, and with
   * `includeDeclined` the declined ones too. Requests from users this user blocks are left out
   * (they come back on unblock).
   * @example for (const r of await client.requests.list()) console.log(r.userId, r.conversation.id)
   */
  list(opts?: { includeDeclined?: boolean }): Promise<MessageRequest[]>
}

/** Builds `client.requests`. `ensure` finds (or fetches) a conversation by id. */
export function createRequests(core: ClientCore, state: SafetyState, users: Users, ensure: (id: string) => Promise<Conversation>): Requests {
  const resolve = async (conversationId: string, userId: string, event: 'request.accept' | 'request.decline') => {
    await core.whenReady()
    const r = await core.conn.request(event, { conversationId })
    state.applyRequest(conversationId, userId, r.state, core.now())
  }
  return {
    async list(opts = {}) {
      await core.whenReady()
      const open = await state.readRequests()
      state.replaceRequests(open.map(({ conversationId, ...request }) => ({ conversationId, request })))
      const out: MessageRequest[] = []
      for (const r of open) {
        if ((r.state === 'declined' && !opts.includeDeclined) || state.isBlocked(r.userId)) continue
        const conversation = await ensure(r.conversationId)
        out.push({
          conversationId: r.conversationId, userId: r.userId, state: r.state, since: r.since, conversation,
          accept: () => resolve(r.conversationId, r.userId, 'request.accept'),
          decline: () => resolve(r.conversationId, r.userId, 'request.decline'),
          report: (o) => conversation.report(o),
          block: async () => {
            await users.block(r.userId)
            await resolve(r.conversationId, r.userId, 'request.decline')
          },
        })
      }
      return out
    },
  }
}
