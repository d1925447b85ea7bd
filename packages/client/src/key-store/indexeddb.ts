/**
 * `indexedDbKeyStore({ name })`: a {@link KeyStore} in the browser's IndexedDB. One object
 * store of key → JSON value; `saveChanges` is one `readwrite` transaction, so IndexedDB's own
 * atomicity gives all-or-nothing, and the transaction's `complete` event (with
 * `durability: 'strict'` where supported) is what a resolved call waits for.
 */
import { StoreError } from '@parley/protocol'
import { assertKey, cloneJson, keyStoreFrom, normalizeChanges, type JsonValue, type KeyStore, type KeyStoreChanges } from './key-store.js'

/** Object store name inside the database. */
export const INDEXEDDB_OBJECT_STORE = 'kv'
/** Schema version of the database. */
export const INDEXEDDB_VERSION = 1

/** Options of {@link indexedDbKeyStore}. */
export interface IndexedDbKeyStoreOptions {
  /** Database name; one per account/device on an origin. Default `"parley"`. */
  name?: string
  /** The IndexedDB factory; defaults to `globalThis.indexedDB`. */
  indexedDB?: IDBFactory
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onerror = () => reject(tx.error)
    tx.onabort = () => reject(tx.error ?? new Error('aborted'))
  })
}

/**
 * A key store backed by IndexedDB (browsers).
 * @throws {TypeError} when no IndexedDB is available or `name` is not a non-empty string.
 * @example
 * const client = await createParleyClient({ url, token, keyStore: indexedDbKeyStore({ name: 'parley:alice' }) })
 */
export function indexedDbKeyStore(options: IndexedDbKeyStoreOptions = {}): KeyStore {
  const name = options.name ?? 'parley'
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`"options.name" expected non-empty string, got ${typeof name}`)
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
  if (!factory) throw new TypeError('indexedDbKeyStore: no IndexedDB in this environment (use fileKeyStore in Node)')
  let closed = false
  const opening = new Promise<IDBDatabase>((resolve, reject) => {
    const r = factory.open(name, INDEXEDDB_VERSION)
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(INDEXEDDB_OBJECT_STORE)) r.result.createObjectStore(INDEXEDDB_OBJECT_STORE)
    }
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(new StoreError(`cannot open IndexedDB "${name}"`, {}, { cause: r.error }))
    r.onblocked = () => reject(new StoreError(`IndexedDB "${name}" is blocked by another tab`))
  })
  opening.catch(() => {})

  async function db(): Promise<IDBDatabase> {
    if (closed) throw new StoreError('indexedDB key store is closed')
    return opening
  }
  function tx(d: IDBDatabase, mode: IDBTransactionMode): IDBTransaction {
    try {
      return mode === 'readwrite'
        ? d.transaction(INDEXEDDB_OBJECT_STORE, mode, { durability: 'strict' } as IDBTransactionOptions)
        : d.transaction(INDEXEDDB_OBJECT_STORE, mode)
    } catch (e) {
      throw new StoreError('cannot start an IndexedDB transaction', {}, { cause: e })
    }
  }
  async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      if (StoreError.isInstance(e)) throw e
      throw new StoreError(`IndexedDB ${what} failed`, {}, { cause: e })
    }
  }

  const store: KeyStore = keyStoreFrom({
    kind: 'indexeddb',
    async get<T extends JsonValue = JsonValue>(key: string) {
      assertKey(key)
      const d = await db()
      return wrap('read', async () => {
        const value = await req(tx(d, 'readonly').objectStore(INDEXEDDB_OBJECT_STORE).get(key))
        return (value === undefined ? null : cloneJson(value)) as T | null
      })
    },
    async saveChanges(changes: KeyStoreChanges) {
      const batch = normalizeChanges(changes)
      const d = await db()
      if (batch.size === 0) return
      await wrap('write', async () => {
        const t = tx(d, 'readwrite')
        const os = t.objectStore(INDEXEDDB_OBJECT_STORE)
        for (const [k, v] of batch) {
          if (v === null) os.delete(k)
          else os.put(v, k)
        }
        await done(t)
      })
    },
    async keys(prefix = '') {
      if (typeof prefix !== 'string') throw new TypeError(`"prefix" expected string, got ${typeof prefix}`)
      const d = await db()
      return wrap('read', async () => {
        const os = tx(d, 'readonly').objectStore(INDEXEDDB_OBJECT_STORE)
        const range = prefix === '' ? undefined : IDBKeyRange.bound(prefix, prefix + '\uffff')
        const all = (await req(os.getAllKeys(range))) as IDBValidKey[]
        return all.filter((k): k is string => typeof k === 'string' && k.startsWith(prefix)).sort()
      })
    },
    async close() {
      if (closed) return
      closed = true
      const d = await opening.catch(() => null)
      d?.close()
    },
  })
  return store
}
