/**
 * Disappearing-messages settings (issue 17): the setting device signs
 * `disappearingSigningText` (from `@parley/protocol`) with its Ed25519 signing key; the server
 * and every member's client verify it before believing the timer.
 */
import { disappearingSigningText, type DisappearingSetting } from '@parley/protocol'
import { utf8 } from './_bytes.js'
import { sign, verify, type DeviceIdentity } from './identity.js'

/** Signs a disappearing-messages setting with the device signing key. */
export function signDisappearing(device: DeviceIdentity, s: Omit<DisappearingSetting, 'signature'>): DisappearingSetting {
  const unsigned: Omit<DisappearingSetting, 'signature'> = {
    conversationId: s.conversationId, ms: s.ms, version: s.version, userId: s.userId, deviceId: s.deviceId, ts: s.ts,
  }
  return { ...unsigned, signature: sign(device.signing.secretKey, utf8(disappearingSigningText(unsigned))) }
}

/** True when `s.signature` verifies under `signingKeyB64` (false for anything malformed). */
export function verifyDisappearing(s: DisappearingSetting, signingKeyB64: string): boolean {
  try {
    return verify(signingKeyB64, utf8(disappearingSigningText(s)), s.signature)
  } catch {
    return false
  }
}
