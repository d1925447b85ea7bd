/** `useParley()`: the client, its connection status, manifest and client-level errors and notices. */
import { useCallback } from 'react'
import type { ParleyClient } from '@parley/client'
import { useRuntime } from '../context.js'
import { SERVER_STATUS, type StatusSnapshot } from '../runtime.js'
import { useStore } from './use-store.js'

/** What {@link useParley} returns. */
export interface UseParleyResult extends StatusSnapshot {
  /** The provider's client (`null` in a server render or when signed out). */
  client: ParleyClient | null
  /** This device's user id (`null` without a client). */
  userId: string | null
  /** Clears `error`. */
  clearError(): void
}

/**
 * The provider's client and its live status.
 * @throws {Error} outside a `ParleyProvider`.
 * @example
 * const { connected, manifest, error } = useParley()
 */
export function useParley(): UseParleyResult {
  const runtime = useRuntime('useParley')
  const status = useStore(runtime?.status, SERVER_STATUS)
  const clearError = useCallback(() => runtime?.status.patch({ error: null }), [runtime])
  return { ...status, client: runtime?.client ?? null, userId: runtime ? runtime.client.userId : null, clearError }
}
