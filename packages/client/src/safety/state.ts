/**
 * This device's copy of the user's safety state — who it blocks, which conversations it muted,
 * which conversations are open message requests for it (docs/decisions/0005). The server is
 * the source of truth: the state is read in full at every connect (`sync`) and kept current by
 * the `block.changed`, `mute.changed` and `request.changed` frames and this device's own acks.
 * Every change emits `block` / `mute` / `request` (the conversation events too). Not persisted:
 * until the first connect of a run it is empty.
 */
import { InvalidFrameError, type ClientEventName, type RequestState } from '@parley/protocol'
import { MAX_SAFETY_SYNC_PAGES } from '../constants.js'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'

/** An open request as this device keeps it. */
export interface OpenRequest {
  userId: string
  state: 'pending' | 'declined'
  since: number
}

type Page<T> = { rows: T[]; next?: string | undefined }

/**
 * Every page of a `*.list` frame. An older server that does not know the frame answers
 * `invalid_frame`: then the list is empty.
 */
async function readAll<T>(request: (after: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const out: T[] = []
  let after: string | undefined
  for (let i = 0; i < MAX_SAFETY_SYNC_PAGES; i++) {
    let page: Page<T>
    try {
      page = await request(after)
    } catch (e) {
      if (InvalidFrameError.isInstance(e) && i === 0) return []
      throw e
    }
    out.push(...page.rows)
    // A next that does not move forward would loop: stop (a server that lies only shortens its own list).
    if (page.next === undefined || (after !== undefined && page.next <= after)) break
    after = page.next
  }
  return out
}

export class SafetyState {
  private readonly blocked = new Map<string, number>()
  private readonly muted = new Map<string, number>()
  private readonly requests = new Map<string, OpenRequest>()

  constructor(
    private readonly core: ClientCore,
    private readonly conversation: (id: string) => Conversation | undefined,
  ) {}

  isBlocked(userId: string): boolean {
    return this.blocked.has(userId)
  }

  isMuted(conversationId: string): boolean {
    return this.muted.has(conversationId)
  }

  /** The open request of a conversation (this user being its recipient), or undefined. */
  request(conversationId: string): OpenRequest | undefined {
    return this.requests.get(conversationId)
  }

  /** Reads the whole state from the server, replacing this copy; emits an event per difference. */
  async sync(): Promise<void> {
    const [blocked, muted, requests] = await Promise.all([this.readBlocked(), this.readMuted(), this.readRequests()])
    this.replaceBlocked(blocked)
    for (const id of [...this.muted.keys()]) if (!muted.some((m) => m.conversationId === id)) this.applyMute(id, false, 0)
    for (const m of muted) this.applyMute(m.conversationId, true, m.since)
    this.replaceRequests(requests.map((r) => ({ conversationId: r.conversationId, request: { userId: r.userId, state: r.state, since: r.since } })))
  }

  /** The server's blocked list (every page). */
  readBlocked(): Promise<{ userId: string; since: number }[]> {
    return readAll((after) => this.list('block.list', after).then((p) => ({ rows: p.blocked, next: p.next })))
  }

  /** The server's open requests (every page). */
  readRequests(): Promise<({ conversationId: string } & OpenRequest)[]> {
    return readAll((after) => this.list('request.list', after).then((p) => ({ rows: p.requests, next: p.next })))
  }

  private readMuted(): Promise<{ conversationId: string; since: number }[]> {
    return readAll((after) => this.list('mute.list', after).then((p) => ({ rows: p.muted, next: p.next })))
  }

  private list<E extends Extract<ClientEventName, 'block.list' | 'mute.list' | 'request.list'>>(event: E, after: string | undefined) {
    return this.core.conn.request(event, after === undefined ? {} : { after })
  }

  /** Makes the blocked set exactly `list`, emitting `block` for each change. */
  replaceBlocked(list: { userId: string; since: number }[]): void {
    const keep = new Set(list.map((b) => b.userId))
    for (const userId of [...this.blocked.keys()]) if (!keep.has(userId)) this.applyBlock(userId, false, 0)
    for (const b of list) this.applyBlock(b.userId, true, b.since)
  }

  /** Makes the open requests exactly `list`; a request no longer open is reported `accepted` (the only way one closes). */
  replaceRequests(list: { conversationId: string; request: OpenRequest }[]): void {
    const keep = new Set(list.map((r) => r.conversationId))
    for (const [id, r] of [...this.requests]) if (!keep.has(id)) this.applyRequest(id, r.userId, 'accepted', r.since)
    for (const r of list) this.applyRequest(r.conversationId, r.request.userId, r.request.state, r.request.since)
  }

  /** Records a block state (a newer `since` replaces the old one silently); emits `block` when it changed. */
  applyBlock(userId: string, blocked: boolean, since: number): void {
    const had = this.blocked.has(userId)
    if (blocked) this.blocked.set(userId, since)
    else this.blocked.delete(userId)
    if (had !== blocked) this.core.events.emit('block', { userId, blocked })
  }

  /** Records a mute state; emits `mute` (conversation and client) when it changed. */
  applyMute(conversationId: string, muted: boolean, since: number): void {
    const had = this.muted.has(conversationId)
    if (muted) this.muted.set(conversationId, since)
    else this.muted.delete(conversationId)
    if (had === muted) return
    const payload = { conversationId, muted }
    this.conversation(conversationId)?._emit('mute', payload)
    this.core.events.emit('mute', payload)
  }

  /** Records a request state (`accepted` closes it); emits `request` (conversation and client) when it changed. */
  applyRequest(conversationId: string, userId: string, state: RequestState, since: number): void {
    const before = this.requests.get(conversationId)
    if (state === 'accepted') this.requests.delete(conversationId)
    else this.requests.set(conversationId, { userId, state, since })
    if (state === 'accepted' ? !before : before?.state === state) return
    const payload = { conversationId, userId, state }
    this.conversation(conversationId)?._emit('request', payload)
    this.core.events.emit('request', payload)
  }
}
