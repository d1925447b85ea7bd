/**
 * Device linking with a one-time provisioning code. The new device shows a code and waits;
 * an existing device of the same user types it in and sends the user identity key (and the
 * current signed device list) encrypted under a key derived from the code and an ephemeral
 * X25519 exchange. The payload also carries the existing device's conversation pins (members,
 * mode, signed mode change), so the new device never takes an E2EE conversation's mode or
 * members from the server. A group travels as its mode and the roster head the existing device
 * verified (version + hash): the new device fetches and verifies the whole signed chain itself
 * and refuses a server whose chain does not hold that hash at that version. The server only ever sees the code's hash.
 * History (issue 17): the existing device also sends its message log, pins, rosters and peer pins
 * as an encrypted blob through the server, under a one-time key inside this payload
 * (`backup/history-transfer.ts`), so the new device reads everything from before the link in
 * every mode, and reports of those messages verify.
 */
import {
  EncryptionModeSchema, ForbiddenError, IdSchema, InvalidFrameError, MAX_LINK_PAYLOAD_BYTES, MAX_LINK_PINS, PayloadTooLargeError, ModeChangeSchema, SUPPORTED_PROTOCOL_VERSIONS, parseWith,
  SignedDeviceListSchema, TimestampSchema, UserIdSchema, PublicKeySchema, base64Exact, RosterHeadSchema,
} from '@parley/protocol'
import { generateEphemeralKeyPair, generateLinkCode, linkCodeHash, linkDecrypt, linkEncrypt } from '@parley/crypto'
import * as v from 'valibot'
import { Connection } from '../connection.js'
import { CONNECT_TIMEOUT_MS } from '../constants.js'
import type { ClientCore } from '../core.js'
import { createParleyClient, type ParleyClient, type ParleyClientOptions } from '../create-client.js'
import { newSelf } from './registration.js'
import type { JsonValue } from '../key-store/key-store.js'
import { K, json, type ConversationRecord } from '../store-layout.js'
import { rosterKey, type RosterPin } from '../groups/rosters.js'
import { fromUtf8, randomId, utf8 } from '../util.js'
import { LinkHistorySchema, receiveHistory, sendHistory } from '../backup/history-transfer.js'
import type { TransferProgress } from '../backup/blob-transfer.js'

/** One conversation as the existing device pins it: the new device starts from these, not from the server's word. */
const LinkPinSchema = v.strictObject({
  id: IdSchema,
  members: v.pipe(v.array(UserIdSchema), v.minLength(2), v.maxLength(2)),
  encryption: EncryptionModeSchema,
  createdAt: TimestampSchema,
  modeChange: v.optional(ModeChangeSchema),
})
type LinkPin = v.InferOutput<typeof LinkPinSchema>

/**
 * One group as the existing device pins it: its mode (never lowered on the new device) and the
 * head of the roster it verified. The records themselves are not carried (a 100-member roster
 * would not fit {@link MAX_LINK_PINS} times): the new device fetches and verifies the chain and
 * checks it against this head.
 */
const LinkGroupPinSchema = v.strictObject({
  id: IdSchema,
  encryption: EncryptionModeSchema,
  createdAt: TimestampSchema,
  modeChange: v.optional(ModeChangeSchema),
  roster: RosterHeadSchema,
})
type LinkGroupPin = v.InferOutput<typeof LinkGroupPinSchema>

const LinkPayloadSchema = v.strictObject({
  userId: UserIdSchema,
  user: v.strictObject({ publicKey: PublicKeySchema, secretKey: base64Exact(32) }),
  deviceList: SignedDeviceListSchema,
  /** Optional: a device on an SDK from before pins sends none (the new device then starts empty). */
  pins: v.optional(v.pipe(v.array(LinkPinSchema), v.maxLength(MAX_LINK_PINS))),
  /** Groups (optional: an SDK from before groups sends none). With `pins`, at most {@link MAX_LINK_PINS} in all. */
  groups: v.optional(v.pipe(v.array(LinkGroupPinSchema), v.maxLength(MAX_LINK_PINS))),
  /** Where the encrypted history waits and its one-time key (optional: absent with `history: false` or from an SDK from before). */
  history: v.optional(LinkHistorySchema),
})

type AnyPin = { kind: 'direct'; pin: LinkPin } | { kind: 'group'; pin: LinkGroupPin }

/**
 * The existing device's conversation pins: every E2EE one (a server must not be able to push
 * one out by announcing junk conversations), then server-side ones by when this device first
 * saw them (its own clock, not the server's `createdAt`), newest first, up to {@link MAX_LINK_PINS}.
 * @throws {PayloadTooLargeError} when the E2EE pins alone exceed the cap: the link fails loudly
 *   rather than leave an E2EE conversation to the server's word on the new device.
 */
async function pinsOf(core: ClientCore): Promise<{ pins: LinkPin[]; groups: LinkGroupPin[] }> {
  const e2ee: AnyPin[] = []
  const readable: { pin: AnyPin; seen: number }[] = []
  for (const key of await core.store.keys(K.conversationPrefix)) {
    const rec = (await core.store.get<JsonValue>(key)) as ConversationRecord | null
    if (!rec) continue
    let pin: AnyPin
    if (rec.info.kind === 'group') {
      const roster = (await core.store.get<JsonValue>(rosterKey(rec.info.id))) as RosterPin | null
      // A group this device never verified (or linked but not yet verified) passes its anchor on.
      const head = roster && roster.state.version > 0 ? { version: roster.state.version, head: roster.state.head } : rec.rosterAnchor
      if (!head) continue
      pin = { kind: 'group', pin: { id: rec.info.id, encryption: rec.pinned, createdAt: rec.info.createdAt, roster: head } }
    } else {
      pin = { kind: 'direct', pin: { id: rec.info.id, members: [...(rec.members ?? rec.info.members)], encryption: rec.pinned, createdAt: rec.info.createdAt } }
    }
    if (rec.modeChange) pin.pin.modeChange = rec.modeChange
    if (rec.pinned === 'e2ee') e2ee.push(pin)
    else readable.push({ pin, seen: rec.firstSeenAt ?? 0 })
  }
  if (e2ee.length > MAX_LINK_PINS) {
    throw new PayloadTooLargeError(`this device holds ${e2ee.length} end-to-end encrypted conversations; a link carries at most ${MAX_LINK_PINS}`)
  }
  readable.sort((a, b) => b.seen - a.seen)
  const all = [...e2ee, ...readable.slice(0, MAX_LINK_PINS - e2ee.length).map((r) => r.pin)]
  return {
    pins: all.flatMap((p) => (p.kind === 'direct' ? [p.pin] : [])),
    groups: all.flatMap((p) => (p.kind === 'group' ? [p.pin] : [])),
  }
}

/** The store records of the pins: E2EE ones accept no readable frame on the new device (its log is empty). */
function pinRecords(pins: LinkPin[], groups: LinkGroupPin[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {}
  for (const p of pins) {
    const rec: ConversationRecord = {
      info: { id: p.id, kind: 'direct', members: p.members, encryption: p.encryption, upgradeRequired: false, createdAt: p.createdAt, lastSeq: 0 },
      members: p.members,
      pinned: p.encryption,
      ...(p.modeChange ? { modeChange: p.modeChange } : {}),
    }
    out[K.conversation(p.id)] = json(rec)
  }
  for (const g of groups) {
    // No members yet: the registry loads no group without a verified roster, and verifies this one on first sight.
    const rec: ConversationRecord = {
      info: { id: g.id, kind: 'group', members: [], rosterVersion: 0, encryption: g.encryption, upgradeRequired: false, createdAt: g.createdAt, lastSeq: 0 },
      members: [],
      pinned: g.encryption,
      rosterAnchor: { version: g.roster.version, head: g.roster.head },
      ...(g.modeChange ? { modeChange: g.modeChange } : {}),
    }
    out[K.conversation(g.id)] = json(rec)
  }
  return out
}

/** Options of `client.linkDevice()`. */
export interface LinkDeviceOptions {
  /** Send this device's history to the new device (default true). */
  history?: boolean
  /** Progress of the history upload. */
  onProgress?: (p: TransferProgress) => void
}

/** Existing device: sends the user identity (and, by default, its history) to the new device that shows `code`. */
export async function linkExistingDevice(core: ClientCore, code: string, options: LinkDeviceOptions = {}): Promise<void> {
  if (typeof code !== 'string' || code.length === 0) throw new TypeError('"code" expected the code shown on the new device')
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const codeHash = linkCodeHash(code)
  const waiting = await core.conn.request('link.lookup', { codeHash })
  const self = core.self()
  const history = options.history === false ? {} : { history: await sendHistory(core, options.onProgress) }
  const payload = utf8(JSON.stringify({ userId: self.userId, user: self.user, deviceList: self.deviceList, ...(await pinsOf(core)), ...history }))
  if (payload.length > MAX_LINK_PAYLOAD_BYTES - 64) {
    throw new PayloadTooLargeError(`the link payload is ${payload.length} bytes; at most ${MAX_LINK_PAYLOAD_BYTES - 64} fit`)
  }
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
export async function requestDeviceLink(options: ParleyClientOptions & { timeoutMs?: number; onProgress?: (p: TransferProgress) => void }): Promise<DeviceLinkRequest> {
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
    let parsed: v.InferOutput<typeof LinkPayloadSchema>
    try {
      parsed = parseWith(LinkPayloadSchema, JSON.parse(fromUtf8(bytes)), 'link payload')
    } catch {
      throw new InvalidFrameError('the link payload is malformed')
    }
    if (parsed.userId !== userId) throw new ForbiddenError('the link payload is for another user')
    // The history is fetched and checked before anything is written (over this connection, which said hello).
    const history = parsed.history ? await receiveHistory(conn, userId, parsed.history, options.onProgress) : {}
    conn.close()
    const self = newSelf(userId, deviceId, { user: parsed.user, deviceList: parsed.deviceList })
    // The pins first, then the identity: a store with `self` but without the pins never exists.
    if ((parsed.pins?.length ?? 0) + (parsed.groups?.length ?? 0) > MAX_LINK_PINS) throw new InvalidFrameError(`the link payload carries more than ${MAX_LINK_PINS} pins`)
    await store.saveChanges({ ...pinRecords((parsed.pins ?? []).filter((p) => p.members.includes(userId)), parsed.groups ?? []), ...history, [K.self]: json(self) })
    return createParleyClient(options)
  }).catch((e) => {
    conn.close()
    throw e
  })
  client.catch(() => {})
  return { code, client, cancel: () => { conn.close(); fail(new InvalidFrameError('link cancelled')) } }
}
