/**
 * `useSyncExternalStore` over an optional store: with no store (no client, or a server
 * render) the hook returns `empty`, and `empty` is also the server snapshot, so hydration
 * matches what the server rendered and only then switches to live state.
 */
import { useSyncExternalStore } from 'react'
import type { ExternalStore } from '../external-store.js'

const noSubscription = () => () => {}

export function useStore<T>(store: ExternalStore<T> | null | undefined, empty: T): T {
  const empties = () => empty
  return useSyncExternalStore(store?.subscribe ?? noSubscription, store?.get ?? empties, empties)
}
