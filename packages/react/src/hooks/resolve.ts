/** Resolves a hook's `conversation` argument (an id or a `Conversation`) to its entry. */
import type { Conversation } from '@parley/client'
import type { ConversationEntry } from '../conversation-entry.js'
import type { ParleyRuntime } from '../runtime.js'
import { SERVER_CONVERSATIONS } from '../runtime.js'
import { useStore } from './use-store.js'

/** A conversation, by object or by id; `null`/`undefined` for none. */
export type ConversationRef = Conversation | string | null | undefined

/**
 * The entry of `ref`. An id the client does not know yet resolves once the conversation list
 * has it (the hook re-renders with the list).
 */
export function useEntry(runtime: ParleyRuntime | null, ref: ConversationRef): ConversationEntry | null {
  // Subscribed only while waiting for an unknown id.
  const waiting = typeof ref === 'string' && runtime !== null && runtime.find(ref) === undefined
  useStore(waiting ? runtime.list : null, SERVER_CONVERSATIONS)
  if (!runtime || ref === null || ref === undefined) return null
  const convo = typeof ref === 'string' ? runtime.find(ref) : ref
  return convo ? runtime.entry(convo) : null
}
