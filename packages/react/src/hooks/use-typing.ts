/** `useTyping(ref)`: who is typing, and this user's own throttled indicator. */
import { useCallback } from 'react'
import { useRuntime } from '../context.js'
import { EMPTY_TYPING, type TypingSnapshot } from '../typing.js'
import { useEntry, type ConversationRef } from './resolve.js'
import { useStore } from './use-store.js'

/** What {@link useTyping} returns. */
export interface UseTypingResult extends TypingSnapshot {
  /** True when any peer is typing. */
  peerTyping: boolean
  /** Call on every keystroke: sends "typing" now and then, "stopped" when the user pauses. */
  notifyTyping(): void
  /** Sends "stopped typing" now (sending a message does this too). */
  stopTyping(): void
}

/**
 * Typing indicators of a conversation.
 * @example
 * const { peerTyping, notifyTyping } = useTyping(conversationId)
 * <input onChange={(e) => { setDraft(e.target.value); notifyTyping() }} />
 */
export function useTyping(ref: ConversationRef): UseTypingResult {
  const runtime = useRuntime('useTyping')
  const entry = useEntry(runtime, ref)
  const snapshot = useStore(entry?.typing.store, EMPTY_TYPING)
  const notifyTyping = useCallback(() => entry?.typing.notify(), [entry])
  const stopTyping = useCallback(() => entry?.typing.stop(), [entry])
  return { ...snapshot, peerTyping: snapshot.typing.length > 0, notifyTyping, stopTyping }
}
