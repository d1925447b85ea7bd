/**
 * The composer's attachment helpers (src/ui/attachments.tsx): chosen files as `send()` takes
 * them, the upload progress bar's share from per-attachment progress, and sizes in words.
 */
import { describe, expect, it } from 'vitest'
import { formatBytes, toOutgoing, uploadFraction } from '../src/ui/attachments.js'

describe('web-chat attachments', () => {
  it('a chosen File goes to send() as a Blob (out of band), with a name and a type even when the browser gave none', () => {
    const f = new File([new Uint8Array([1, 2, 3])], '', { type: '' })
    const [a] = toOutgoing([f, new File(['x'], 'a.png', { type: 'image/png' })])
    expect(a).toEqual({ name: 'file', mime: 'application/octet-stream', data: f })
    expect(toOutgoing([new File(['x'], 'a.png', { type: 'image/png' })])[0]).toMatchObject({ name: 'a.png', mime: 'image/png' })
  })

  it('progress: sealed bytes over totals, a file not started counted by its size; never above 1', () => {
    const p = (index: number, bytes: number, total: number) => [index, { index, bytes, total }] as const
    expect(uploadFraction([100, 300], new Map())).toBe(0)
    expect(uploadFraction([100, 300], new Map([p(0, 60, 120)]))).toBeCloseTo(60 / 420)
    expect(uploadFraction([100, 300], new Map([p(0, 120, 120), p(1, 340, 340)]))).toBe(1)
    expect(uploadFraction([100], new Map([p(0, 200, 120)]))).toBe(1)
    expect(uploadFraction([], new Map())).toBe(1)
  })

  it('sizes in words', () => {
    expect([formatBytes(512), formatBytes(2048), formatBytes(3 * 1024 * 1024)]).toEqual(['512 B', '2.0 KB', '3.0 MB'])
  })
})
