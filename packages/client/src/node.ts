/**
 * `@parley/client/node`: the Node-only parts of the client, kept out of the main entry so the
 * browser bundle never pulls in `node:fs`.
 *
 * @example
 * import { fileKeyStore } from '@parley/client/node'
 *
 * @packageDocumentation
 */
export { fileKeyStore, KEY_FILE_MODE, KEY_FILE_FORMAT_VERSION, type FileKeyStoreOptions } from './key-store/file.js'
