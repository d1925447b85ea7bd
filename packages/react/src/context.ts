/**
 * The React context the provider fills: `undefined` outside any provider (a programming
 * error the hooks report), `null` inside a provider without a client (a server render, or
 * before sign-in: the hooks then return empty state).
 */
import { createContext, useContext } from 'react'
import type { ParleyRuntime } from './runtime.js'

export const ParleyContext = createContext<ParleyRuntime | null | undefined>(undefined)

/**
 * The runtime of the nearest provider.
 * @throws {Error} when there is no `ParleyProvider` above the calling component.
 */
export function useRuntime(hook: string): ParleyRuntime | null {
  const runtime = useContext(ParleyContext)
  if (runtime === undefined) throw new Error(`${hook}() must be used inside <ParleyProvider>`)
  return runtime
}
