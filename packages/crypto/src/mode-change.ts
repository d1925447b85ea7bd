/**
 * Mode-change records: the upgrading device signs `modeChangeSigningText` (from
 * `@parley/protocol`) with its Ed25519 signing key; every client pins the record.
 */
import { modeChangeSigningText, type ModeChange } from '@parley/protocol'
import { utf8 } from './_bytes.js'
import { sign, verify, type DeviceIdentity } from './identity.js'

/** Signs a mode change with the device signing key. */
export function signModeChange(device: DeviceIdentity, mc: Omit<ModeChange, 'signature'>): ModeChange {
  const unsigned: Omit<ModeChange, 'signature'> = {
    conversationId: mc.conversationId, from: mc.from, to: mc.to, userId: mc.userId, deviceId: mc.deviceId, ts: mc.ts,
  }
  return { ...unsigned, signature: sign(device.signing.secretKey, utf8(modeChangeSigningText(unsigned))) }
}

/** True when `mc.signature` verifies under `signingKeyB64` (false for anything malformed). */
export function verifyModeChange(mc: ModeChange, signingKeyB64: string): boolean {
  try {
    return verify(signingKeyB64, utf8(modeChangeSigningText(mc)), mc.signature)
  } catch {
    return false
  }
}
