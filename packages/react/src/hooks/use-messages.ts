/** `useMessages(ref)`: the message list with pages of history, delivery ticks and `send()`. */
import { useCallback, useEffect } from 'react'
import type { SendInput } from '@parley/client'
import { ConnectionError, type SendResult } from '@parley/protocol'
import { useRuntime } from '../context.js'
import { DEFAULT_PAGE_SIZE } from '../constants.js'
import { INITIAL_MESSAGES, type MessagesSnapshot } from '../conversation-entry.js'
import { asHookError } from '../errors.js'
import { useEntry, type ConversationRef } from './resolve.js'
import { useStore } from './use-store.js'

/** Options of {@link useMessages}. */
export interface UseMessagesOptions {
  /** Messages per history page (1..100, default {@link DEFAULT_PAGE_SIZE}). */
  pageSize?: number
}

/** What {@link useMessages} returns. */
export interface UseMessagesResult extends MessagesSnapshot {
  /** Loads the next older page (when `hasMore`). */
  loadMore(): Promise<void>
  /**
   * Sends a message (it appears at once as `pending`). On failure the row is removed — the
   * message was never sent — `sendError` is set, and the typed error is thrown
   * (`MessageBlockedError`, `IdentityChangedError`, `TypeError`/`RangeError` for bad input, …).
   */
  send(input: SendInput): Promise<SendResult>
  clearSendError(): void
  /** Sends read receipts for everything received; resolves with how many. */
  markRead(): Promise<number>
}

/**
 * The messages of a conversation, oldest first, starting with the newest page of history.
 * @example
 * const { messages, hasMore, loadMore, send, sendError } = useMessages(conversationId)
 */
export function useMessages(ref: ConversationRef, options: UseMessagesOptions = {}): UseMessagesResult {
  const runtime = useRuntime('useMessages')
  const entry = useEntry(runtime, ref)
  const snapshot = useStore(entry?.messages, INITIAL_MESSAGES)
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  useEffect(() => {
    void entry?.loadFirstPage(pageSize)
  }, [entry, pageSize])
  const loadMore = useCallback(async () => {
    await entry?.loadMore(pageSize)
  }, [entry, pageSize])
  const send = useCallback((input: SendInput) => (entry ? entry.send(input) : Promise.reject(new ConnectionError('no conversation yet'))), [entry])
  const clearSendError = useCallback(() => entry?.clearSendError(), [entry])
  const markRead = useCallback(async () => {
    if (!entry) return 0
    try {
      return await entry.conversation.markRead()
    } catch (e) {
      throw asHookError(e)
    }
  }, [entry])
  return { ...snapshot, loadMore, send, clearSendError, markRead }
}
