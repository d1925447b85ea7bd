/**
 * `ParleyProvider`: makes one `ParleyClient` available to the hooks below it. The app creates
 * the client (it is async and needs a key store), so a server render passes `client={null}`
 * and the hooks return empty state there; listening starts in an effect, in the browser.
 */
import { createElement, useEffect, useMemo, useState, type ReactNode } from 'react'
import type { ParleyClient } from '@parley/client'
import { ParleyContext } from './context.js'
import { ParleyRuntime } from './runtime.js'
import { memoryUiStore } from './memory-ui-store.js'
import type { UiStore } from './ui-store.js'

/** Props of {@link ParleyProvider}. */
export interface ParleyProviderProps {
  /** The connected client, or `null` (server render, signed out): hooks then show empty state. */
  client: ParleyClient | null
  /**
   * Where delivery ticks and notices are kept across reloads: any `KeyStore`
   * (`indexedDbKeyStore({ name: 'my-app-ui' })` in a browser), not the client's own. Memory
   * when absent.
   */
  store?: UiStore
  children?: ReactNode
}

/**
 * Provides `client` to the Parley hooks. Closing the client stays the app's job.
 * @example
 * <ParleyProvider client={client} store={indexedDbKeyStore({ name: `ui:${userId}` })}>
 *   <Inbox />
 * </ParleyProvider>
 */
export function ParleyProvider({ client, store, children }: ParleyProviderProps): ReactNode {
  const [fallback] = useState(memoryUiStore)
  const ui = store ?? fallback
  const runtime = useMemo(() => (client ? new ParleyRuntime(client, ui) : null), [client, ui])
  useEffect(() => runtime?.start(), [runtime])
  return createElement(ParleyContext.Provider, { value: runtime }, children)
}
