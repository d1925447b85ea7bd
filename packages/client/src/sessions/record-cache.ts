/**
 * A read cache over the client's {@link KeyStore} for the records it reads on every message:
 * session states, prekey secrets, seen initial messages and peer records. Without it each
 * read is a full defensive copy by the store (the prekey record alone is ~80 KB of JSON).
 *
 * Cached records are SHARED and IMMUTABLE: `get` hands out the very object last written or
 * read, and the client never mutates a record it read or wrote — every change builds a new
 * record (the crypto layer is pure too: its inputs are untouched). That invariant is what
 * makes skipping the copy safe; code that reads these keys must keep it. Every other key goes
 * straight to the store (and is copied by it). A record is cached only after the store
 * confirmed it (a resolved `saveChanges`, or a `get` with no write in between), so the cache
 * never shows a value the store does not hold.
 */
import { keyStoreFrom, type JsonValue, type KeyStore, type KeyStoreChanges } from '../key-store/key-store.js'
import { K } from '../store-layout.js'

/** At most this many records are kept (oldest written or read first out). */
export const MAX_CACHED_RECORDS = 2_000

const EXACT = new Set<string>([K.preKeys, K.seenInitial])
const cacheable = (key: string) => key.startsWith('session/') || key.startsWith('peer/') || EXACT.has(key)

/**
 * Wraps `inner` with the shared-record cache. The wrapper is the client's only path to its
 * store while it runs (the app must not write the store behind the client's back).
 */
export function cachedStore(inner: KeyStore): KeyStore {
  const cache = new Map<string, JsonValue | null>()
  /** Bumped by every write: a read that overlapped one is not cached (it may be stale). */
  let epoch = 0
  const remember = (key: string, value: JsonValue | null) => {
    cache.delete(key)
    cache.set(key, value)
    if (cache.size > MAX_CACHED_RECORDS) cache.delete(cache.keys().next().value!)
  }
  const store: KeyStore = keyStoreFrom({
    kind: inner.kind,
    async get<T extends JsonValue = JsonValue>(key: string): Promise<T | null> {
      if (typeof key !== 'string' || !cacheable(key)) return inner.get<T>(key)
      const hit = cache.get(key)
      if (hit !== undefined) return hit as T | null
      const seen = epoch
      const value = await inner.get<T>(key)
      if (epoch === seen) remember(key, value)
      return value
    },
    async saveChanges(changes: KeyStoreChanges) {
      epoch++
      const touched = changes !== null && typeof changes === 'object' ? Object.keys(changes).filter(cacheable) : []
      for (const key of touched) cache.delete(key)
      try {
        await inner.saveChanges(changes)
      } finally {
        epoch++
      }
      for (const key of touched) remember(key, changes[key] ?? null)
    },
    keys: (prefix) => inner.keys(prefix),
    async close() {
      cache.clear()
      await inner.close()
    },
  })
  return store
}
