/**
 * Attachments: each is encrypted under its own random key with the committing AEAD; the
 * message carries the key and the SHA-256 of the plaintext (what franking commits to).
 */
import { BadMacError } from '@parley/protocol'
import { ab64, abytes } from './_assert.js'
import { toBase64 } from './_bytes.js'
import { openWithLabel, sealWithLabel } from './aead.js'
import { label, LABELS, sha256Bytes } from './kdf.js'
import { systemRandom, type RandomSource } from './random.js'

/** Base64 SHA-256 of `data`. */
export function sha256Base64(data: Uint8Array): string {
  return toBase64(sha256Bytes(abytes(data, 'data')))
}

/**
 * Encrypts an attachment under a fresh key.
 * @returns base64 `key`, `ciphertext`, and `sha256` of the plaintext.
 */
export function encryptAttachment(data: Uint8Array, random: RandomSource = systemRandom): { key: string; ciphertext: string; sha256: string } {
  abytes(data, 'data')
  const key = random(32)
  const ciphertext = sealWithLabel(key, LABELS.attachment, data, label(LABELS.attachment), random)
  return { key: toBase64(key), ciphertext: toBase64(ciphertext), sha256: sha256Base64(data) }
}

/**
 * Decrypts an attachment.
 * @throws {BadMacError} when the key or ciphertext is wrong or altered.
 * @throws {TypeError|RangeError} when the key is not base64 of 32 bytes.
 */
export function decryptAttachment(keyB64: string, ciphertextB64: string): Uint8Array {
  const key = ab64(keyB64, 'keyB64', 32)
  let ct: Uint8Array
  try {
    ct = ab64(ciphertextB64, 'ciphertextB64')
  } catch {
    throw new BadMacError('attachment ciphertext is not base64')
  }
  return openWithLabel(key, LABELS.attachment, ct, label(LABELS.attachment))
}
