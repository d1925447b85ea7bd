/**
 * Typing indicators of one conversation, both ways: the peers typing now (each expires after
 * {@link TYPING_TTL_MS} without a refresh, or when their message arrives), and this user's
 * own indicator, throttled — "typing" at most every {@link TYPING_RESEND_MS}, "stopped" after
 * {@link TYPING_IDLE_MS} without a keystroke or when a message is sent.
 */
import type { Conversation, TypingPayload } from '@parley/client'
import { TYPING_IDLE_MS, TYPING_RESEND_MS, TYPING_TTL_MS } from './constants.js'
import { asHookError, type HookError } from './errors.js'
import { Store } from './external-store.js'

/** What {@link useTyping} shows. */
export interface TypingSnapshot {
  /** User ids typing now (never this user). */
  typing: readonly string[]
  /** The last failure to send this user's indicator (e.g. offline). */
  error: HookError | null
}

export const EMPTY_TYPING: TypingSnapshot = { typing: [], error: null }

/** Typing state of one conversation. */
export class TypingState {
  readonly store = new Store<TypingSnapshot>(EMPTY_TYPING)
  private readonly expiry = new Map<string, ReturnType<typeof setTimeout>>()
  private sentAt = 0
  private idle: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly convo: Conversation, private readonly selfUserId: string) {}

  /** A typing event from the server. */
  onEvent(t: TypingPayload): void {
    const user = t.from.userId
    if (user === this.selfUserId) return
    clearTimeout(this.expiry.get(user))
    this.expiry.delete(user)
    if (t.typing) this.expiry.set(user, setTimeout(() => this.stopped(user), TYPING_TTL_MS))
    const others = this.store.get().typing.filter((u) => u !== user)
    this.store.patch({ typing: t.typing ? [...others, user] : others })
  }

  /** The user's message arrived: they stopped typing. */
  stopped(user: string): void {
    clearTimeout(this.expiry.get(user))
    this.expiry.delete(user)
    if (this.store.get().typing.includes(user)) this.store.patch({ typing: this.store.get().typing.filter((u) => u !== user) })
  }

  /** Call on every keystroke. */
  notify(): void {
    const now = Date.now()
    if (now - this.sentAt > TYPING_RESEND_MS) {
      this.sentAt = now
      this.send(true)
    }
    clearTimeout(this.idle)
    this.idle = setTimeout(() => this.stop(), TYPING_IDLE_MS)
  }

  /** Sends "stopped typing" if "typing" was sent. */
  stop(): void {
    clearTimeout(this.idle)
    if (this.sentAt === 0) return
    this.sentAt = 0
    this.send(false)
  }

  /** Clears every timer (the provider unmounted). */
  dispose(): void {
    clearTimeout(this.idle)
    for (const t of this.expiry.values()) clearTimeout(t)
    this.expiry.clear()
    this.store.patch({ typing: [] })
  }

  private send(typing: boolean): void {
    this.convo.typing(typing).then(
      () => this.store.get().error && this.store.patch({ error: null }),
      (e) => this.store.patch({ error: asHookError(e) }),
    )
  }
}
