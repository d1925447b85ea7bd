/**
 * A signed-in browser: the `ParleyClient` of one user on this browser, with its key store and
 * the React bindings' UI store (delivery ticks and notices across reloads), both in IndexedDB
 * and named per server data directory (`instanceId`) and user. `link()` makes this browser a
 * new device of a user who is signed in elsewhere.
 */
import { createParleyClient, indexedDbKeyStore, requestDeviceLink, resetIdentity, type KeyStore, type ParleyClient, type ParleyClientOptions } from '@parley/client'
import { ParleyError } from '@parley/protocol'
import type { ServerInfo } from '../api.js'
import { demoPlugins } from '../moderation.js'

/** A signed-in user on this browser. */
export interface Session {
  userId: string
  client: ParleyClient
  /** The provider's UI store (a `KeyStore` of its own, not the client's). */
  ui: KeyStore
}

/** How long a shown link code waits for the other device, ms. */
export const LINK_WAIT_MS = 10 * 60_000

const keyStoreName = (userId: string, info: ServerInfo) => `parley:${info.instanceId}:${userId}`

function clientOptions(userId: string, info: ServerInfo): ParleyClientOptions {
  return {
    url: location.origin,
    token: userId, // demo sign-in: the name is the token
    userId,
    keyStore: indexedDbKeyStore({ name: keyStoreName(userId, info) }),
    plugins: demoPlugins(),
  }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name)
    r.onsuccess = () => resolve()
    r.onerror = () => reject(r.error)
  })
}

function uiStore(userId: string, info: ServerInfo): KeyStore {
  return indexedDbKeyStore({ name: `parley-ui:${info.instanceId}:${userId}` })
}

/**
 * Signs in as `userId` (a fresh browser registers a new device first: a second or two).
 * @throws {IdentityChangedError} when `userId` already has an identity elsewhere: this browser
 *   made a new one the server refused. Nothing of it was registered, so its key store is
 *   deleted again — the browser can then be linked as a device of that user instead.
 */
export async function signIn(userId: string, info: ServerInfo): Promise<Session> {
  const options = clientOptions(userId, info)
  let client: ParleyClient
  try {
    client = await createParleyClient(options)
  } catch (e) {
    if (ParleyError.is(e, 'identity_changed')) {
      await options.keyStore.close().catch(() => {})
      await deleteDatabase(keyStoreName(userId, info)).catch(() => {})
    }
    throw e
  }
  await client.whenReady()
  return { userId, client, ui: uiStore(userId, info) }
}

/**
 * "I lost every device" (docs/recovery.md): asks the demo server to reset `userId`'s identity
 * (a real app re-authenticates the user first), then starts this browser as the user's first
 * device with a brand-new identity. Old end-to-end encrypted history is gone; contacts see
 * that the identity changed and must accept it.
 * @throws {Error} when the server refuses the reset. @throws {IdentityChangedError} when it did not happen.
 */
export async function resetAndSignIn(userId: string, info: ServerInfo): Promise<Session> {
  const r = await fetch(`/api/reset-identity?user=${encodeURIComponent(userId)}`, { method: 'POST' })
  if (!r.ok) throw new Error(`the server refused the reset (${r.status})`)
  // The reset's one-time registration ticket (decision 0024). A real app sends it to the user
  // out of band after its own re-authentication (an e-mailed link, the support desk); here the
  // demo route hands it to the browser that asked, as its sign-in is the demo's only check.
  const { ticket } = (await r.json()) as { ticket?: unknown }
  if (typeof ticket !== 'string') throw new Error('the server\'s reset gave no registration ticket')
  const client = await resetIdentity({ ...clientOptions(userId, info), ticket })
  await client.whenReady()
  return { userId, client, ui: uiStore(userId, info) }
}

/** Signs out: disconnects (queued messages stay for next time) and closes both stores. */
export async function signOut(s: Session): Promise<void> {
  await s.client.close()
  await s.ui.close()
}

/** A link in progress: show `code`, then `session` resolves once the other device sent the keys. */
export interface PendingLink {
  code: string
  session: Promise<Session>
  cancel(): void
}

/**
 * Asks to link this browser as a new device of `userId`.
 * @throws {ForbiddenError} when this browser already holds a device of `userId` (sign in instead).
 */
export async function link(userId: string, info: ServerInfo): Promise<PendingLink> {
  const request = await requestDeviceLink(clientOptions(userId, info))
  const timer = setTimeout(() => request.cancel(), LINK_WAIT_MS)
  const session = request.client.then(
    async (client) => {
      clearTimeout(timer)
      await client.whenReady()
      return { userId, client, ui: uiStore(userId, info) }
    },
    (e: unknown) => {
      clearTimeout(timer)
      throw e
    },
  )
  return { code: request.code, session, cancel: () => request.cancel() }
}
