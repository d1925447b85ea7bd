/**
 * Sealed thumbnails of out-of-band attachments (docs/attachments.md "Thumbnails", decision
 * 0027): sealed under a key derived from the file key, opened only with it, bounded, and
 * committed by franking after the file reference without changing older encodings.
 */
import { describe, expect, it } from 'vitest'
import { AttachmentCorruptError, MAX_THUMBNAIL_BYTES, THUMBNAIL_SEAL_OVERHEAD_BYTES, type AttachmentMeta } from '@parley/protocol'
import { checkFranking, frankingBytes, frankMessage, openThumbnail, sealThumbnail } from '../src/index.js'

const key = (fill: number) => Buffer.alloc(32, fill).toString('base64')
const thumb = new Uint8Array(1000).map((_, i) => i & 0xff)
const reason = (f: () => unknown) => {
  try {
    f()
  } catch (e) {
    return AttachmentCorruptError.isInstance(e) ? e.details.reason : String(e)
  }
  return 'opened'
}

describe('sealed thumbnails', () => {
  it('open with their file key only; a flipped byte or another key is tampered', () => {
    const sealed = sealThumbnail(key(1), thumb)
    expect(Buffer.from(sealed, 'base64').length).toBe(thumb.length + THUMBNAIL_SEAL_OVERHEAD_BYTES)
    expect(openThumbnail(key(1), sealed)).toEqual(thumb)
    expect(sealThumbnail(key(1), thumb)).not.toBe(sealed) // a fresh nonce: one file, another thumbnail, no shared keystream
    expect(reason(() => openThumbnail(key(2), sealed))).toBe('tampered')
    const flipped = Buffer.from(sealed, 'base64')
    flipped[40]! ^= 1
    expect(reason(() => openThumbnail(key(1), flipped.toString('base64')))).toBe('tampered')
  })

  it('are bounded: empty or above MAX_THUMBNAIL_BYTES is a RangeError', () => {
    expect(() => sealThumbnail(key(1), new Uint8Array(0))).toThrow(RangeError)
    expect(() => sealThumbnail(key(1), new Uint8Array(MAX_THUMBNAIL_BYTES + 1))).toThrow(RangeError)
    expect(() => sealThumbnail(key(1), new Uint8Array(MAX_THUMBNAIL_BYTES))).not.toThrow()
  })

  it('are committed by franking; a file without one encodes as before', () => {
    const base: AttachmentMeta = { name: 'a.jpg', mime: 'image/jpeg', size: 5, sha256: key(3), file: { id: 'A'.repeat(22), key: key(1) } }
    const withThumb: AttachmentMeta = { ...base, file: { ...base.file!, thumbnail: sealThumbnail(key(1), thumb) } }
    const swapped: AttachmentMeta = { ...base, file: { ...base.file!, thumbnail: sealThumbnail(key(1), thumb) } }
    const plain = frankingBytes({ text: 'x', attachments: [base] })
    const thumbed = frankingBytes({ text: 'x', attachments: [withThumb] })
    expect(Buffer.from(thumbed.subarray(0, plain.length)).equals(Buffer.from(plain))).toBe(true) // appended after the old encoding
    expect(thumbed.length).toBeGreaterThan(plain.length)
    const { nf, tf } = frankMessage({ text: 'x', attachments: [withThumb] })
    expect(checkFranking({ text: 'x', attachments: [withThumb] }, nf, tf)).toBe(true) // control
    expect(checkFranking({ text: 'x', attachments: [swapped] }, nf, tf)).toBe(false)
    expect(checkFranking({ text: 'x', attachments: [base] }, nf, tf)).toBe(false)
  })
})
