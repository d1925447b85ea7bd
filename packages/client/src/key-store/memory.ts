/**
 * `memoryKeyStore()`: the reference {@link KeyStore}. Nothing survives the process; use it in
 * tests, for throwaway bots, or as the model every other backend is checked against.
 */
import { StoreError } from '@parley/protocol'
import { assertKey, cloneJson, keyStoreFrom, normalizeChanges, type JsonValue, type KeyStore, type KeyStoreChanges } from './key-store.js'
import { PrefixIndex } from './_prefix-index.js'

/**
 * An in-memory key store.
 * @example
 * const client = await createParleyClient({ url, token, keyStore: memoryKeyStore() })
 */
export function memoryKeyStore(): KeyStore {
  const data = new Map<string, JsonValue>()
  const index = new PrefixIndex()
  let closed = false
  const live = () => {
    if (closed) throw new StoreError('memory key store is closed')
  }
  const store: KeyStore = keyStoreFrom({
    kind: 'memory',
    async get<T extends JsonValue = JsonValue>(key: string) {
      live()
      const value = data.get(assertKey(key))
      return (value === undefined ? null : cloneJson(value)) as T | null
    },
    async saveChanges(changes: KeyStoreChanges) {
      live()
      // Validation (and copying) happens before any write, so a bad batch changes nothing.
      for (const [k, v] of normalizeChanges(changes)) {
        if (v === null) {
          if (data.delete(k)) index.remove(k)
        } else {
          if (!data.has(k)) index.add(k)
          data.set(k, v)
        }
      }
    },
    async keys(prefix = '') {
      live()
      if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected string, got ${typeof prefix}`)
      return index.keys(prefix, data.keys())
    },
    async close() {
      closed = true
    },
  })
  return store
}
