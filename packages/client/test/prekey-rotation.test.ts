/** The pure parts of prekey rotation: the seen-initial record (and its layout-1 form), retiring, options. */
import { describe, expect, it } from 'vitest'
import { KEM_LAST_RESORT_ID_BASE } from '../src/constants.js'
import { readSeen, retireCurrent, rotationOptions, seenIds, withSeen } from '../src/sessions/prekey-rotation.js'
import type { SelfRecord } from '../src/store-layout.js'

const self = (over: Partial<SelfRecord> = {}) => ({ signedPreKeyId: 3, kemLastResortId: KEM_LAST_RESORT_ID_BASE + 3, ...over }) as SelfRecord

describe('prekey rotation records', () => {
  it('reads the layout-1 flat list as the current signed prekey\'s, and keeps every id (no count window)', () => {
    const legacy = readSeen(['a', 'b'], self())
    expect(legacy).toEqual({ bySignedPreKey: { 3: ['a', 'b'] } })
    expect(readSeen(null, self())).toEqual({ bySignedPreKey: {} })
    let r = legacy
    for (let i = 0; i < 3_000; i++) r = withSeen(r, 4, `id${i}`)
    expect(r.bySignedPreKey[4]).toHaveLength(3_000)
    expect(seenIds(r)).toHaveLength(3_002)
    expect(legacy.bySignedPreKey[4]).toBeUndefined() // records are never mutated
  })

  it('retires the current pair once (ids 0 and the KEM base mean none yet)', () => {
    expect(retireCurrent(self({ signedPreKeyId: 0, kemLastResortId: KEM_LAST_RESORT_ID_BASE }), 5)).toEqual({ signed: {}, kem: {} })
    const r = retireCurrent(self({ retiredPreKeys: { signed: { 3: 1 }, kem: {} } }), 9)
    expect(r).toEqual({ signed: { 3: 1 }, kem: { [KEM_LAST_RESORT_ID_BASE + 3]: 9 } })
  })

  it('checks options and applies the defaults', () => {
    expect(rotationOptions(undefined)).toEqual({ intervalMs: 7 * 86_400_000, graceMs: 14 * 86_400_000 })
    expect(() => rotationOptions({ intervalMs: 0 })).toThrow(RangeError)
    expect(() => rotationOptions({ graceMs: Infinity })).toThrow(RangeError)
  })
})
