/**
 * One {@link useSafety} per signed-in screen, shared through context so the list, the requests
 * and the open conversation read the same lists (and the client is asked once per change).
 */
import { createContext, useContext, type ReactNode } from 'react'
import { useSafety, type SafetySnapshot } from './use-safety.js'

const SafetyContext = createContext<SafetySnapshot | null>(null)

export function SafetyProvider({ children }: { children: ReactNode }) {
  return <SafetyContext.Provider value={useSafety()}>{children}</SafetyContext.Provider>
}

/** @throws {Error} outside a `SafetyProvider`. */
export function useSafetyState(): SafetySnapshot {
  const s = useContext(SafetyContext)
  if (!s) throw new Error('useSafetyState() needs a SafetyProvider')
  return s
}
