/**
 * Device linking: a one-time, human-typable code (120 bits, Crockford base32) authenticates
 * an X25519 exchange between the new device and an existing one. The server only ever sees
 * `linkCodeHash(code)`. Key = HKDF(ikm = DH, salt = SHA-256(code), info = label ‖ keys).
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { BadMacError } from '@parley/protocol'
import { ab64, abytes, astring } from './_assert.js'
import { concat, toBase64, utf8 } from './_bytes.js'
import { openWithLabel, sealWithLabel } from './aead.js'
import { generateX25519KeyPair, type KeyPair } from './identity.js'
import { hkdfSha256, label, LABELS, sha256Bytes } from './kdf.js'
import { systemRandom, type RandomSource } from './random.js'

/** Random bytes in a link code (120 bits). */
export const LINK_CODE_BYTES = 15
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A fresh link code like `7QK2-9VJD-…` (6 groups of 4). */
export function generateLinkCode(random: RandomSource = systemRandom): string {
  const bytes = random(LINK_CODE_BYTES)
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  return out.match(/.{4}/g)!.join('-')
}

/** Canonical form of a typed code: upper case, no separators, I/L→1, O→0. */
export function normalizeLinkCode(code: string): string {
  return astring(code, 'code', true).toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0')
}

/** Base64 SHA-256 of the normalized code under a domain label (what the server stores). */
export function linkCodeHash(code: string): string {
  return toBase64(sha256Bytes(concat(label(LABELS.linkCode), utf8(normalizeLinkCode(code)))))
}

/** A fresh X25519 ephemeral key pair. */
export function generateEphemeralKeyPair(random: RandomSource = systemRandom): KeyPair {
  return generateX25519KeyPair(random)
}

function linkKey(code: string, dh: Uint8Array, senderKey: Uint8Array, receiverKey: Uint8Array): Uint8Array {
  const salt = sha256Bytes(concat(label(LABELS.link), utf8(normalizeLinkCode(code))))
  return hkdfSha256(concat(dh, senderKey, receiverKey), salt, LABELS.link, 32)
}

function dh(secret: Uint8Array, pub: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(secret, pub)
  } catch {
    throw new BadMacError('invalid link key')
  }
}

/**
 * Encrypts a provisioning payload to the new device's ephemeral key.
 * @throws {TypeError|RangeError} malformed code, key or payload.
 */
export function linkEncrypt(args: { code: string; theirEphemeralKey: string; payload: Uint8Array; random?: RandomSource }): { ephemeralKey: string; ciphertext: string } {
  const theirs = ab64(args.theirEphemeralKey, 'theirEphemeralKey', 32)
  abytes(args.payload, 'payload')
  const random = args.random ?? systemRandom
  const secret = random(32)
  const ours = x25519.getPublicKey(secret)
  const key = linkKey(args.code, dh(secret, theirs), ours, theirs)
  return { ephemeralKey: toBase64(ours), ciphertext: toBase64(sealWithLabel(key, LABELS.link, args.payload, concat(ours, theirs), random)) }
}

/**
 * Decrypts a provisioning payload.
 * @throws {BadMacError} wrong code, wrong keys or altered ciphertext.
 */
export function linkDecrypt(args: { code: string; ours: KeyPair; theirEphemeralKey: string; ciphertext: string }): Uint8Array {
  const theirs = ab64(args.theirEphemeralKey, 'theirEphemeralKey', 32)
  const secret = ab64(args.ours?.secretKey, 'ours.secretKey', 32)
  const ourPub = ab64(args.ours.publicKey, 'ours.publicKey', 32)
  let ct: Uint8Array
  try {
    ct = ab64(args.ciphertext, 'ciphertext')
  } catch {
    throw new BadMacError('link ciphertext is not base64')
  }
  const key = linkKey(args.code, dh(secret, theirs), theirs, ourPub)
  return openWithLabel(key, LABELS.link, ct, concat(theirs, ourPub))
}
