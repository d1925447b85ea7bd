/**
 * Device linking with a one-time provisioning code. The new device shows a code and waits;
 * an existing device of the same user types it in and sends the user identity key (and the
 * current signed device list) encrypted under a key derived from the code and an ephemeral
 * X25519 exchange. The server only ever sees the code's hash. History from before the link is
 * not readable on the new device in E2EE conversations (it is in server-side ones).
 */
import { ForbiddenError, InvalidFrameError, SUPPORTED_PROTOCOL_VERSIONS, parseWith, SignedDeviceListSchema, UserIdSchema, PublicKeySchema, base64Exact } from '@parley/protocol'
import { generateEphemeralKeyPair, generateLinkCode, linkCodeHash, linkDecrypt, linkEncrypt } from '@parley/crypto'
import * as v from 'valibot'
import { Connection } from './connection.js'
import { CONNECT_TIMEOUT_MS } from './constants.js'
import type { ClientCore } from './core.js'
import { createParleyClient, type ParleyClient, type ParleyClientOptions } from './create-client.js'
import { newSelf } from './registration.js'
import { K, json } from './store-layout.js'
import { fromUtf8, randomId, utf8 } from './util.js'

const LinkPayloadSchema = v.strictObject({
  userId: UserIdSchema,
  user: v.strictObject({ publicKey: PublicKeySchema, secretKey: base64Exact(32) }),
  deviceList: SignedDeviceListSchema,
})

/** Existing device: sends the user identity to the new device that shows `code`. */
export async function linkExistingDevice(core: ClientCore, code: string): Promise<void> {
  if (typeof code !== 'string' || code.length === 0) throw new TypeError('"code" expected the code shown on the new device')
  const codeHash = linkCodeHash(code)
  const waiting = await core.conn.request('link.lookup', { codeHash })
  const self = core.self()
  const payload = utf8(JSON.stringify({ userId: self.userId, user: self.user, deviceList: self.deviceList }))
  const sealed = linkEncrypt({ code, theirEphemeralKey: waiting.ephemeralKey, payload })
  await core.conn.request('link.complete', { codeHash, ephemeralKey: sealed.ephemeralKey, ciphertext: sealed.ciphertext })
}

/** A pending link on the new device. */
export interface DeviceLinkRequest {
  /** Show this to the user; they type it on a device that is already signed in. */
  code: string
  /** Resolves with the registered client once the existing device sent the keys. */
  client: Promise<ParleyClient>
  /** Gives up waiting. */
  cancel(): void
}

/**
 * New device: asks to be linked to the signed-in user. The key store must be empty.
 * @throws {ForbiddenError} when the key store already holds a device identity.
 * @example
 * const link = await requestDeviceLink({ url, token, keyStore: indexedDbKeyStore({ name: 'phone' }) })
 * showToUser(link.code)
 * const client = await link.client
 */
export async function requestDeviceLink(options: ParleyClientOptions & { timeoutMs?: number }): Promise<DeviceLinkRequest> {
  const store = options.keyStore
  if (await store.get(K.self)) throw new ForbiddenError('this key store already holds a device; linking needs an empty one')
  const deviceId = options.deviceId ?? randomId('d-', 8)
  const code = generateLinkCode()
  const codeHash = linkCodeHash(code)
  const ephemeral = generateEphemeralKeyPair()
  let fail: (e: unknown) => void = () => {}
  let succeed: (p: Uint8Array) => void = () => {}
  const arrived = new Promise<Uint8Array>((resolve, reject) => {
    succeed = resolve
    fail = reject
  })
  const conn = new Connection({
    url: options.url, token: options.token, ...(options.socketOptions ? { socketOptions: options.socketOptions } : {}),
    onInvalidFrame: (e) => fail(e),
  })
  let userId = ''
  const requested = new Promise<void>((resolve, reject) => {
    conn.socket.on('connect', () => {
      void (async () => {
        const hello = await conn.request('hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId })
        userId = hello.userId
        await conn.request('link.request', { codeHash, deviceId, ephemeralKey: ephemeral.publicKey })
        resolve()
      })().catch(reject)
    })
  })
  conn.handle('link.payload', (p) => {
    if (p.codeHash !== codeHash) return
    try {
      succeed(linkDecrypt({ code, ours: ephemeral, theirEphemeralKey: p.ephemeralKey, ciphertext: p.ciphertext }))
    } catch (e) {
      fail(e)
    }
  })
  conn.open()
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([requested, new Promise((_, reject) => (timer = setTimeout(() => reject(new InvalidFrameError('link request timed out')), timeoutMs)))]).finally(() => clearTimeout(timer))
  const client = arrived.then(async (bytes) => {
    conn.close()
    let parsed: v.InferOutput<typeof LinkPayloadSchema>
    try {
      parsed = parseWith(LinkPayloadSchema, JSON.parse(fromUtf8(bytes)), 'link payload')
    } catch {
      throw new InvalidFrameError('the link payload is malformed')
    }
    if (parsed.userId !== userId) throw new ForbiddenError('the link payload is for another user')
    const self = newSelf(userId, deviceId, { user: parsed.user, deviceList: parsed.deviceList })
    await store.set(K.self, json(self))
    return createParleyClient(options)
  }, (e) => {
    conn.close()
    throw e
  })
  client.catch(() => {})
  return { code, client, cancel: () => { conn.close(); fail(new InvalidFrameError('link cancelled')) } }
}
