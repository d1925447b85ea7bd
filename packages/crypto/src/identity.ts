/**
 * Identity keys: an Ed25519 user identity key (signs the device list), and per device an
 * Ed25519 signing key and an X25519 identity key (used in PQXDH). Keys are base64 so state
 * stays JSON-safe. These synchronous helpers use noble; sessions go through a provider.
 * `verify` (device lists, hello proofs, mode changes, the server's prekey checks) applies the
 * same Ed25519 rule as every provider.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { ab64, astring } from './_assert.js'
import { toBase64 } from './_bytes.js'
import { passesEd25519Precheck, verifyEd25519Strict } from './ed25519-rule.js'
import type { CryptoProvider } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'

/** A base64 key pair. */
export interface KeyPair {
  publicKey: string
  secretKey: string
}
/** A user's Ed25519 identity key: signs the user's device list. */
export interface UserIdentity extends KeyPair {}
/** A device's keys. */
export interface DeviceIdentity {
  deviceId: string
  /** Ed25519: signs prekeys and mode changes. */
  signing: KeyPair
  /** X25519: the device's long-term PQXDH identity key. */
  identity: KeyPair
}

/** A fresh Ed25519 key pair. */
export function generateEd25519KeyPair(random: RandomSource = systemRandom): KeyPair {
  const secret = random(32)
  return { publicKey: toBase64(ed25519.getPublicKey(secret)), secretKey: toBase64(secret) }
}
/** A fresh X25519 key pair. */
export function generateX25519KeyPair(random: RandomSource = systemRandom): KeyPair {
  const secret = random(32)
  return { publicKey: toBase64(x25519.getPublicKey(secret)), secretKey: toBase64(secret) }
}

/** A fresh Ed25519 user identity key. */
export function generateUserIdentity(random: RandomSource = systemRandom): UserIdentity {
  return generateEd25519KeyPair(random)
}

/**
 * Fresh keys for one device.
 * @throws {TypeError|RangeError} when `deviceId` is not a non-empty string.
 */
export function generateDeviceIdentity(deviceId: string, random: RandomSource = systemRandom): DeviceIdentity {
  astring(deviceId, 'deviceId', true)
  return { deviceId, signing: generateEd25519KeyPair(random), identity: generateX25519KeyPair(random) }
}

/**
 * Ed25519 signature of `message`, base64.
 * @throws {TypeError|RangeError} when the key is not base64 of 32 bytes.
 */
export function sign(secretKeyB64: string, message: Uint8Array): string {
  const sk = ab64(secretKeyB64, 'secretKeyB64', 32)
  if (!(message instanceof Uint8Array)) throw new TypeError('"message" expected Uint8Array')
  return toBase64(ed25519.sign(message, sk))
}

/**
 * Verifies an Ed25519 signature under Parley's rule (strict RFC 8032, cofactorless; see
 * `ed25519-rule.ts`), the same on every provider and runtime; false for any malformed input
 * (never throws).
 */
export function verify(publicKeyB64: string, message: Uint8Array, signatureB64: string): boolean {
  try {
    const pk = ab64(publicKeyB64, 'publicKeyB64', 32)
    const sig = ab64(signatureB64, 'signatureB64', 64)
    if (!(message instanceof Uint8Array)) return false
    return verifyEd25519Strict(pk, message, sig)
  } catch {
    return false
  }
}

/**
 * {@link verify} on `provider` (e.g. the native one `pickProvider()` chose): the same rule,
 * with the byte checks of the rule run here first, so a caller-supplied provider cannot be
 * more lenient. False for any malformed input (never rejects).
 * @example await verifyWith(await pickProvider(), device.signing.publicKey, bytes, signature)
 */
export async function verifyWith(provider: CryptoProvider, publicKeyB64: string, message: Uint8Array, signatureB64: string): Promise<boolean> {
  try {
    const pk = ab64(publicKeyB64, 'publicKeyB64', 32)
    const sig = ab64(signatureB64, 'signatureB64', 64)
    if (!(message instanceof Uint8Array) || !passesEd25519Precheck(pk, sig)) return false
    return (await provider.ed25519Verify(pk, message, sig)) === true
  } catch {
    return false
  }
}

/**
 * True when `pair.secretKey` is the Ed25519 secret of `pair.publicKey` (a key read from a
 * backup is checked before it is used: a mismatched pair would sign lists nobody can verify).
 * False on malformed keys.
 */
export function ed25519PairMatches(pair: KeyPair): boolean {
  try {
    return toBase64(ed25519.getPublicKey(ab64(pair.secretKey, 'secretKey', 32))) === pair.publicKey
  } catch {
    return false
  }
}
