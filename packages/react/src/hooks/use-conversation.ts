/** `useConversation(ref)`: one conversation's real mode, notices, errors and the upgrade. */
import { useCallback, useState } from 'react'
import type { Conversation } from '@parley/client'
import { ConnectionError, type EncryptionMode } from '@parley/protocol'
import { useRuntime } from '../context.js'
import type { ConversationSnapshot } from '../conversation-entry.js'
import { asHookError, type HookError } from '../errors.js'
import { useEntry, type ConversationRef } from './resolve.js'
import { useStore } from './use-store.js'

/** What {@link useConversation} returns. */
export interface UseConversationResult extends Omit<ConversationSnapshot, 'encryption'> {
  /** `null` until the conversation is known (or without a client). */
  conversation: Conversation | null
  /** The real, pinned mode (`null` until known). Never lowered. */
  encryption: EncryptionMode | null
  peerUserId: string | null
  /**
   * The signed one-way upgrade to end-to-end encryption.
   * @throws {PolicyViolationError} under the `server-side` policy (also set as `upgradeError`).
   */
  upgrade(): Promise<void>
  upgrading: boolean
  upgradeError: HookError | null
  /** Clears `errors`. */
  clearErrors(): void
}

const EMPTY: ConversationSnapshot = { encryption: 'server-side', upgradeRequired: false, notices: [], errors: [] }

/**
 * One conversation, by object or id.
 * @example
 * const { encryption, notices, upgrade } = useConversation(conversationId)
 */
export function useConversation(ref: ConversationRef): UseConversationResult {
  const runtime = useRuntime('useConversation')
  const entry = useEntry(runtime, ref)
  const snapshot = useStore(entry?.mode, EMPTY)
  const [upgrading, setUpgrading] = useState(false)
  const [upgradeError, setUpgradeError] = useState<HookError | null>(null)
  const upgrade = useCallback(async () => {
    if (!entry) throw new ConnectionError('no conversation yet')
    setUpgrading(true)
    setUpgradeError(null)
    try {
      await entry.conversation.upgradeToE2EE()
      entry.syncMode()
    } catch (e) {
      const error = asHookError(e)
      setUpgradeError(error)
      throw error
    } finally {
      setUpgrading(false)
    }
  }, [entry])
  const clearErrors = useCallback(() => entry?.clearErrors(), [entry])
  return {
    ...snapshot,
    conversation: entry?.conversation ?? null,
    encryption: entry ? snapshot.encryption : null,
    peerUserId: entry?.conversation.peerUserId ?? null,
    upgrade,
    upgrading,
    upgradeError,
    clearErrors,
  }
}
