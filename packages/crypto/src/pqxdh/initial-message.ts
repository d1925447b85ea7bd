/**
 * The PQXDH initial-message header (PQXDH rev. 3 §3.3): the initiator's identity key and
 * ephemeral key, the ids of the prekeys used, and the ML-KEM ciphertext. It is sent with every
 * message until the peer replies, and bound into each message's AD. Layout:
 * `version(1) ‖ IK_A(32) ‖ EK_A(32) ‖ spkId(4) ‖ kemId(4) ‖ flags(1) ‖ opkId(4) ‖ CT(1088)`;
 * flags bit 0: KEM prekey is last-resort, bit 1: a one-time prekey was used.
 */
import { BadMacError } from '@parley/protocol'
import { concat, readU32, u32be } from '../_bytes.js'
import { KEM_CIPHERTEXT_BYTES, KEY_BYTES, MESSAGE_VERSION } from '../constants.js'
import { label, LABELS, sha256Bytes } from '../kdf.js'

/** Bytes of an initial-message header. */
export const PREKEY_HEADER_BYTES = 1 + KEY_BYTES * 2 + 4 + 4 + 1 + 4 + KEM_CIPHERTEXT_BYTES

/** Parsed header. */
export interface PreKeyHeader {
  identityKey: Uint8Array
  baseKey: Uint8Array
  signedPreKeyId: number
  kemPreKeyId: number
  kemIsLastResort: boolean
  oneTimePreKeyId: number | undefined
  kemCiphertext: Uint8Array
}

/** Encodes a header. */
export function encodePreKeyHeader(h: PreKeyHeader): Uint8Array {
  const flags = (h.kemIsLastResort ? 1 : 0) | (h.oneTimePreKeyId !== undefined ? 2 : 0)
  return concat(
    new Uint8Array([MESSAGE_VERSION]), h.identityKey, h.baseKey, u32be(h.signedPreKeyId), u32be(h.kemPreKeyId),
    new Uint8Array([flags]), u32be(h.oneTimePreKeyId ?? 0), h.kemCiphertext,
  )
}

/**
 * Splits a prekey message into its header and inner ratchet message.
 * @throws {BadMacError} when truncated or malformed.
 */
export function decodePreKeyMessage(bytes: Uint8Array): { header: PreKeyHeader; headerBytes: Uint8Array; inner: Uint8Array } {
  if (bytes.length <= PREKEY_HEADER_BYTES || bytes[0] !== MESSAGE_VERSION) throw new BadMacError('malformed prekey message')
  const flags = bytes[1 + 2 * KEY_BYTES + 8]!
  if (flags > 3) throw new BadMacError('malformed prekey message')
  let o = 1
  const identityKey = bytes.subarray(o, (o += KEY_BYTES))
  const baseKey = bytes.subarray(o, (o += KEY_BYTES))
  const signedPreKeyId = readU32(bytes, o)
  const kemPreKeyId = readU32(bytes, o + 4)
  const opk = readU32(bytes, o + 9)
  o += 13
  const kemCiphertext = bytes.subarray(o, o + KEM_CIPHERTEXT_BYTES)
  if ((flags & 2) === 0 && opk !== 0) throw new BadMacError('malformed prekey message')
  return {
    header: { identityKey, baseKey, signedPreKeyId, kemPreKeyId, kemIsLastResort: (flags & 1) === 1, oneTimePreKeyId: flags & 2 ? opk : undefined, kemCiphertext },
    headerBytes: bytes.subarray(0, PREKEY_HEADER_BYTES),
    inner: bytes.subarray(PREKEY_HEADER_BYTES),
  }
}

/** The replay id of an initial message: base64-free bytes hashed under a label. */
export function initialMessageId(headerBytes: Uint8Array): Uint8Array {
  return sha256Bytes(concat(label(LABELS.initialMessage), headerBytes))
}
