/** `useConversations()`: every conversation of this user, newest activity first, and `open()`. */
import { useCallback } from 'react'
import type { Conversation } from '@parley/client'
import { ConnectionError } from '@parley/protocol'
import { useRuntime } from '../context.js'
import { asHookError } from '../errors.js'
import { SERVER_CONVERSATIONS, type ConversationsSnapshot } from '../runtime.js'
import { useStore } from './use-store.js'

/** What {@link useConversations} returns. */
export interface UseConversationsResult extends ConversationsSnapshot {
  /**
   * Opens (or finds) the 1:1 conversation with `userId`; it joins the list at the top.
   * @throws the client's typed error (`NotFoundError` for an unknown user, …).
   */
  open(userId: string): Promise<Conversation>
  /** Re-reads the list from the server. */
  refresh(): Promise<void>
}

/**
 * The conversation list. Each row has the conversation, its real mode and the last message
 * really sent or received (a pending or rejected send is never previewed).
 * @example
 * const { conversations, open } = useConversations()
 */
export function useConversations(): UseConversationsResult {
  const runtime = useRuntime('useConversations')
  const snapshot = useStore(runtime?.list, SERVER_CONVERSATIONS)
  const open = useCallback(async (userId: string) => {
    if (!runtime) throw new ConnectionError('no Parley client yet')
    try {
      return await runtime.open(userId)
    } catch (e) {
      throw asHookError(e)
    }
  }, [runtime])
  const refresh = useCallback(async () => {
    await runtime?.refresh()
  }, [runtime])
  return { ...snapshot, open, refresh }
}
