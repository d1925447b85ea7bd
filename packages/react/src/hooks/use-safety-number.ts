/** `useSafetyNumber(ref)`: the safety number to compare out of band, and `acceptIdentity()`. */
import { useCallback, useEffect, useState } from 'react'
import type { SafetyNumber } from '@parley/client'
import { ConnectionError } from '@parley/protocol'
import { useRuntime } from '../context.js'
import { asHookError, type HookError } from '../errors.js'
import { useEntry, type ConversationRef } from './resolve.js'

/** Options of {@link useSafetyNumber}. */
export interface UseSafetyNumberOptions {
  /** Compute it (default true); pass false until the user opens the verify screen. */
  enabled?: boolean
}

/** What {@link useSafetyNumber} returns. */
export interface UseSafetyNumberResult {
  /** 60 digits and a QR payload; the pending key's number while an identity change waits. */
  safetyNumber: SafetyNumber | null
  loading: boolean
  error: HookError | null
  reload(): void
  /** Accepts the peer's changed identity key (unblocks sending); false when none was pending. */
  acceptIdentity(): Promise<boolean>
}

/**
 * The safety number of this user and the peer.
 * @example
 * const { safetyNumber } = useSafetyNumber(conversationId)
 * safetyNumber?.digits.match(/\d{5}/g)?.join(' ')
 */
export function useSafetyNumber(ref: ConversationRef, options: UseSafetyNumberOptions = {}): UseSafetyNumberResult {
  const runtime = useRuntime('useSafetyNumber')
  const entry = useEntry(runtime, ref)
  const enabled = options.enabled ?? true
  const [state, setState] = useState<{ safetyNumber: SafetyNumber | null; loading: boolean; error: HookError | null }>({ safetyNumber: null, loading: false, error: null })
  const [generation, setGeneration] = useState(0)
  useEffect(() => {
    if (!entry || !enabled) return
    let live = true
    setState((s) => ({ ...s, loading: true, error: null }))
    entry.conversation.safetyNumber().then(
      (safetyNumber) => live && setState({ safetyNumber, loading: false, error: null }),
      (e) => live && setState({ safetyNumber: null, loading: false, error: asHookError(e) }),
    )
    return () => {
      live = false
    }
  }, [entry, enabled, generation])
  const reload = useCallback(() => setGeneration((g) => g + 1), [])
  const acceptIdentity = useCallback(async () => {
    if (!entry) throw new ConnectionError('no conversation yet')
    try {
      const changed = await entry.conversation.acceptIdentity()
      setGeneration((g) => g + 1)
      return changed
    } catch (e) {
      const error = asHookError(e)
      setState((s) => ({ ...s, error }))
      throw error
    }
  }, [entry])
  return { ...state, reload, acceptIdentity }
}
