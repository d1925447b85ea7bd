/**
 * Ratchet message encoding and associated data. Wire layout of a `message` (version 2):
 * `version(1) ‖ ratchetKey(32) ‖ PN(u32 BE) ‖ N(u32 BE) ‖ headerMac(32) ‖ ciphertext ‖ tag(32)`;
 * the header MAC is keyed by the chain's header key and covers the AD and `ciphertext ‖ tag`
 * (see `headerMac` in chain-key.ts).
 * The AD binds the protocol version, mode, message type, conversation id, sender and
 * recipient device, the PQXDH AD (both identity keys), the PQXDH header of a prekey message,
 * and the ratchet header.
 */
import type { DeviceAddress } from '@parley/protocol'
import { BadMacError } from '@parley/protocol'
import { aint, astring } from '../_assert.js'
import { concat, readU32, u32be, utf8 } from '../_bytes.js'
import { AEAD_TAG_BYTES } from '../aead.js'
import { DEFAULT_MODE, KEY_BYTES, MESSAGE_VERSION } from '../constants.js'
import { label, LABELS } from '../kdf.js'

/** What a message is bound to, beyond its keys. Both sides pass the same values. */
export interface MessageContext {
  protocolVersion: number
  conversationId: string
  sender: DeviceAddress
  recipient: DeviceAddress
  /** Encryption mode bound into the AD; defaults to `'e2ee'`. */
  mode?: string
}

/** Message type on the wire. */
export type MessageType = 'prekey' | 'message'

/** Bytes of a ratchet header (without its MAC). */
export const HEADER_BYTES = 1 + KEY_BYTES + 4 + 4
/** Bytes of the header MAC that follows the header (full HMAC-SHA256, never truncated). */
export const HEADER_MAC_BYTES = 32

/** A parsed ratchet message. */
export interface RatchetMessage {
  header: Uint8Array
  ratchetKey: Uint8Array
  pn: number
  n: number
  /** The header MAC (checked under the chain's header key before any chain step). */
  mac: Uint8Array
  /** `ciphertext ‖ tag`. */
  body: Uint8Array
}

/** Encodes the ratchet header. */
export function encodeHeader(ratchetKey: Uint8Array, pn: number, n: number): Uint8Array {
  return concat(new Uint8Array([MESSAGE_VERSION]), ratchetKey, u32be(pn), u32be(n))
}

/**
 * Parses a ratchet message.
 * @throws {BadMacError} when it is truncated or has an unknown version.
 */
export function decodeMessage(bytes: Uint8Array): RatchetMessage {
  if (bytes.length < HEADER_BYTES + HEADER_MAC_BYTES + AEAD_TAG_BYTES || bytes[0] !== MESSAGE_VERSION) throw new BadMacError('malformed ratchet message')
  return {
    header: bytes.subarray(0, HEADER_BYTES),
    ratchetKey: bytes.subarray(1, 1 + KEY_BYTES),
    pn: readU32(bytes, 1 + KEY_BYTES),
    n: readU32(bytes, 1 + KEY_BYTES + 4),
    mac: bytes.subarray(HEADER_BYTES, HEADER_BYTES + HEADER_MAC_BYTES),
    body: bytes.subarray(HEADER_BYTES + HEADER_MAC_BYTES),
  }
}

/**
 * Validates a context.
 * @throws {TypeError|RangeError} naming the bad field.
 */
export function checkContext(c: MessageContext): MessageContext {
  if (!c || typeof c !== 'object') throw new TypeError('"context" expected object')
  aint(c.protocolVersion, 'context.protocolVersion', 0xffff_ffff)
  astring(c.conversationId, 'context.conversationId', true)
  astring(c.sender?.userId, 'context.sender.userId', true)
  astring(c.sender?.deviceId, 'context.sender.deviceId', true)
  astring(c.recipient?.userId, 'context.recipient.userId', true)
  astring(c.recipient?.deviceId, 'context.recipient.deviceId', true)
  if (c.mode !== undefined) astring(c.mode, 'context.mode', true)
  return c
}

const EMPTY = new Uint8Array(0)

/**
 * The AEAD associated data of one message: `label ‖ u32(version) ‖ lp(mode) ‖ lp(type) ‖
 * lp(conversation) ‖ lp(sender user, device) ‖ lp(recipient user, device) ‖ lp(session AD) ‖
 * lp(prekey header) ‖ header`, `lp` a u32 length prefix. Written into one buffer (it is built
 * twice per message).
 */
export function messageAd(
  c: MessageContext, type: MessageType, sessionAd: Uint8Array, preKeyHeader: Uint8Array | null, header: Uint8Array,
): Uint8Array {
  const prefix = label(LABELS.messageAd)
  const fields = [
    utf8(c.mode ?? DEFAULT_MODE), utf8(type), utf8(c.conversationId), utf8(c.sender.userId), utf8(c.sender.deviceId),
    utf8(c.recipient.userId), utf8(c.recipient.deviceId), sessionAd, preKeyHeader ?? EMPTY,
  ]
  let length = prefix.length + 4 + header.length
  for (const f of fields) length += 4 + f.length
  const out = new Uint8Array(length)
  const view = new DataView(out.buffer)
  out.set(prefix, 0)
  let o = prefix.length
  view.setUint32(o, c.protocolVersion, false)
  o += 4
  for (const f of fields) {
    view.setUint32(o, f.length, false)
    out.set(f, o + 4)
    o += 4 + f.length
  }
  out.set(header, o)
  return out
}
