/**
 * What a frame can cost the server in public-key operations, read from the raw frame after
 * its bounds were checked (so every array here is within its limit) and before it is parsed:
 * a `keys.publish` with 100 signed ML-KEM prekeys is ~100 Ed25519 verifications, which cost
 * ~6 ms natively and ~200 ms on pure-JS noble, against microseconds for most frames.
 */
import { MAX_PREKEYS_PER_UPLOAD, type ClientEventName } from '@parley/protocol'

/** Most Ed25519 verifications one frame can need: a `device.register` with a full KEM batch. */
export const MAX_FRAME_SIGNATURES = MAX_PREKEYS_PER_UPLOAD + 3

function has(frame: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(frame, key) && frame[key] !== undefined
}

function length(frame: Record<string, unknown>, key: string): number {
  const value = has(frame, key) ? frame[key] : undefined
  return Array.isArray(value) ? Math.min(value.length, MAX_PREKEYS_PER_UPLOAD) : 0
}

/**
 * Ed25519 verifications `frame` may make the server run (0 for most events); never more than
 * {@link MAX_FRAME_SIGNATURES}. The frame need not be valid yet: the count is an upper bound.
 * @example signatureCost('keys.publish', { kemOneTimePreKeys: Array(100) }) // 100
 */
export function signatureCost(event: ClientEventName, frame: unknown): number {
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return 0
  const f = frame as Record<string, unknown>
  switch (event) {
    case 'keys.publish': return (has(f, 'signedPreKey') ? 1 : 0) + (has(f, 'kemLastResortPreKey') ? 1 : 0) + length(f, 'kemOneTimePreKeys')
    // The device list, the signed prekey and the last-resort KEM prekey, then each KEM one-time prekey.
    case 'device.register': return 3 + length(f, 'kemOneTimePreKeys')
    case 'devicelist.publish':
    case 'mode.upgrade':
    case 'conversation.disappearing': return 1
    case 'hello': return has(f, 'proof') ? 1 : 0
    default: return 0
  }
}
