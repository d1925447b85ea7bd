/**
 * The internal context every part of the client shares (store, connection, identity, the
 * crypto lock). Not exported from the package: apps use {@link ParleyClient}.
 */
import type { EncryptionMode, FlagEvent, PolicyManifest } from '@parley/protocol'
import type { CryptoProvider } from '@parley/crypto'
import type { Pipeline } from '@parley/moderation'
import type { Connection } from './connection.js'
import type { Emitter } from './emitter.js'
import type { KeyStore } from './key-store/key-store.js'
import type { SelfRecord } from './store-layout.js'
import type { ClientEvents, ErrorPayload } from './types.js'
import type { Mutex } from './util.js'

export interface ClientCore {
  readonly store: KeyStore
  readonly conn: Connection
  readonly events: Emitter<ClientEvents>
  /** Serializes every change to sessions, prekeys and the inbox cursor. */
  readonly lock: Mutex
  readonly pipeline: Pipeline
  provider(): Promise<CryptoProvider | undefined>
  self(): SelfRecord
  setSelf(self: SelfRecord): void
  manifest(): PolicyManifest | null
  /** Negotiated protocol version. */
  version(): number
  /** Connected, said hello, registered and caught up. */
  isReady(): boolean
  /** Waits until ready. @throws {ConnectionError} after `timeoutMs`. */
  whenReady(timeoutMs?: number): Promise<void>
  /** Surfaces an error on the client (and the conversation it concerns). */
  reportError(payload: ErrorPayload): void
  /** Hands flags raised by local plugins (E2EE content) to the app's `onFlag`. */
  flag(events: FlagEvent[]): void
  now(): number
  /** The lowest mode this client accepts (`minimumMode` option; `'server-side'` by default). */
  minimumMode(): EncryptionMode
}
