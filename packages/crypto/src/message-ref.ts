/**
 * Signed message references (docs/messages.md): a message carrying a reference (edit,
 * tombstone, reaction, reply) is signed by the sending device over `messageRefSigningText`
 * (from `@parley/protocol`): the conversation and the franking commitment `tf`, which commits
 * to the text, attachments and reference. A server knows a readable message's opening and
 * could re-frank altered content; it cannot sign for the device.
 */
import { messageRefSigningText } from '@parley/protocol'
import { utf8 } from './_bytes.js'
import { sign, verify, type DeviceIdentity } from './identity.js'

/**
 * Signs a reference-carrying message's commitment with the device signing key.
 * @throws {TypeError} malformed key.
 * @example
 * const sig = signMessageRef(device, { conversationId: 'c_1', tf })
 */
export function signMessageRef(device: DeviceIdentity, a: { conversationId: string; tf: string }): string {
  return sign(device.signing.secretKey, utf8(messageRefSigningText(a)))
}

/** True when `sig` verifies under `signingKeyB64` for this conversation and commitment (false for anything malformed). */
export function verifyMessageRef(sig: string, signingKeyB64: string, a: { conversationId: string; tf: string }): boolean {
  try {
    return verify(signingKeyB64, utf8(messageRefSigningText(a)), sig)
  } catch {
    return false
  }
}
