/**
 * Device authentication at `hello` (docs/protocol.md, "Exchange"): the server hands each
 * connection a fresh nonce (`hello.challenge`); a device it already knows signs
 * `label ‖ nonce ‖ lp(userId) ‖ lp(deviceId)` with its Ed25519 signing key — the key the server
 * registered for it. The domain label keeps the signature from serving as any other signed
 * record (prekeys, device lists, mode changes); the nonce binds it to one connection and one
 * use; the ids bind it to the device it claims.
 */
import { ab64, astring } from './_assert.js'
import { concat, lp } from './_bytes.js'
import { label, LABELS } from './kdf.js'
import { sign, verify, type DeviceIdentity } from './identity.js'

/** Bytes of the server's challenge nonce. */
export const HELLO_PROOF_NONCE_BYTES = 32

/** What a hello proof binds. */
export interface HelloProofInput {
  /** The challenge nonce the server issued on this connection (base64, 32 bytes). */
  nonce: string
  /** The authenticated user (what the server's `authenticate` returned). */
  userId: string
  /** The device the connection claims to be. */
  deviceId: string
}

/**
 * The signed bytes of a hello proof.
 * @throws {TypeError|RangeError} on a malformed nonce or empty ids.
 * @example helloProofBytes({ nonce, userId: 'alice', deviceId: 'd1' })
 */
export function helloProofBytes(input: HelloProofInput): Uint8Array {
  const nonce = ab64(input?.nonce, 'nonce', HELLO_PROOF_NONCE_BYTES)
  return concat(label(LABELS.helloProof), nonce, lp(astring(input.userId, 'userId', true)), lp(astring(input.deviceId, 'deviceId', true)))
}

/**
 * Signs a hello proof with the device's Ed25519 signing key (base64 signature).
 * @throws {TypeError|RangeError} on malformed input.
 * @example const proof = { nonce, signature: signHelloProof(device, { nonce, userId, deviceId }) }
 */
export function signHelloProof(device: DeviceIdentity, input: HelloProofInput): string {
  return sign(device.signing.secretKey, helloProofBytes(input))
}

/** True when `signature` is the device's proof for `input` (false for anything malformed; never throws). */
export function verifyHelloProof(signingKeyB64: string, input: HelloProofInput, signature: string): boolean {
  try {
    return verify(signingKeyB64, helloProofBytes(input), signature)
  } catch {
    return false
  }
}
