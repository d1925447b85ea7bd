/**
 * `@parley/client`: the Parley SDK for browsers and Node.
 * @packageDocumentation
 */
export * from './key-store/key-store.js'
export { memoryKeyStore } from './key-store/memory.js'
export { indexedDbKeyStore, INDEXEDDB_OBJECT_STORE, INDEXEDDB_VERSION, type IndexedDbKeyStoreOptions } from './key-store/indexeddb.js'
