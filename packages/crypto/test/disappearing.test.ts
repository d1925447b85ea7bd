/**
 * Disappearing-messages settings (issue 17): a setting signed by a device verifies under that
 * device's signing key only, and changing any field — the timer, off ↔ on, the version, the
 * conversation, the signer, the time — breaks the signature. Malformed input is false, never a throw.
 */
import { describe, expect, it } from 'vitest'
import { disappearingSigningText } from '@parley/protocol'
import { generateDeviceIdentity, signDisappearing, verifyDisappearing } from '../src/index.js'

describe('disappearing settings', () => {
  const device = generateDeviceIdentity('d1')
  const other = generateDeviceIdentity('d2')
  const setting = signDisappearing(device, { conversationId: 'c_1', ms: 60_000, version: 3, userId: 'alice', deviceId: 'd1', ts: 1_700_000_000_000 })

  it('verifies under the signer\'s key only', () => {
    expect(verifyDisappearing(setting, device.signing.publicKey)).toBe(true)
    expect(verifyDisappearing(setting, other.signing.publicKey)).toBe(false)
  })

  it('any changed field breaks it', () => {
    const changes = [{ ms: 1_000 }, { ms: null }, { version: 4 }, { conversationId: 'c_2' }, { userId: 'mallory' }, { deviceId: 'd2' }, { ts: 1 }]
    for (const change of changes) expect(verifyDisappearing({ ...setting, ...change }, device.signing.publicKey), JSON.stringify(change)).toBe(false)
  })

  it('off is its own text; malformed input is false', () => {
    const off = signDisappearing(device, { ...setting, ms: null })
    expect(verifyDisappearing(off, device.signing.publicKey)).toBe(true)
    expect(disappearingSigningText(off)).toContain('\noff\n')
    expect(verifyDisappearing({ ...setting, signature: 'not base64!' }, device.signing.publicKey)).toBe(false)
    expect(verifyDisappearing(setting, 'AAAA')).toBe(false)
  })
})
