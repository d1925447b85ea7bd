/**
 * The `BlobStore` conformance suite (`store.blobs`). Every backend runs exactly these tests
 * (`test/store-blobs.test.ts`: memory, PGlite, PostgreSQL). Not part of the public entry point
 * (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import { uid } from './_contract-fixtures.js'
import { STALE_UPLOAD_MS, type BlobChunkPut } from './blob-store.js'
import type { ParleyStore } from './store.js'

/**
 * Registers the blob conformance tests for one backend. `open` returns a fresh, empty store.
 * @example blobContract('memory', async () => memoryStore())
 */
export function blobContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`BlobStore contract: ${name}`, () => {
    const put = (s: ParleyStore, p: Partial<BlobChunkPut> & { userId: string; upload: string; index: number; count: number }) =>
      s.blobs.putChunk({ slot: 'backup', data: `chunk${p.index}`, bytes: 6, now: 10, maxSlots: 2, ...p })

    it('an upload commits on its last chunk; readers see the old blob until then, never a mix', async () => {
      const s = await open()
      try {
        const userId = `u-${uid()}`
        expect(await s.blobs.getChunk(userId, 'backup', 0, 10)).toBeNull()
        expect(await put(s, { userId, upload: 'a', index: 0, count: 2 })).toEqual({ stored: 1, complete: false })
        expect(await s.blobs.getChunk(userId, 'backup', 0, 10)).toBeNull()
        expect(await put(s, { userId, upload: 'a', index: 1, count: 2 })).toEqual({ stored: 2, complete: true })
        expect(await s.blobs.getChunk(userId, 'backup', 1, 10)).toEqual({ upload: 'a', index: 1, count: 2, bytes: 12, updatedAt: 10, data: 'chunk1' })
        // A second upload in progress: the first stays readable, then is replaced whole.
        await put(s, { userId, upload: 'b', index: 0, count: 1, data: 'new', bytes: 3, now: 20 })
        expect(await s.blobs.getChunk(userId, 'backup', 0, 20)).toMatchObject({ upload: 'b', count: 1, bytes: 3, data: 'new' })
        expect(await s.blobs.getChunk(userId, 'backup', 1, 20)).toBeNull()
        // Another user sees nothing.
        expect(await s.blobs.getChunk(`u-${uid()}`, 'backup', 0, 20)).toBeNull()
      } finally {
        await s.close()
      }
    })

    it('refuses out-of-order chunks, another count or an unknown upload; a resent chunk replaces itself', async () => {
      const s = await open()
      try {
        const userId = `u-${uid()}`
        expect(await put(s, { userId, upload: 'a', index: 1, count: 3 })).toEqual({ refused: 'order' })
        await put(s, { userId, upload: 'a', index: 0, count: 3 })
        expect(await put(s, { userId, upload: 'a', index: 2, count: 3 })).toEqual({ refused: 'order' })
        expect(await put(s, { userId, upload: 'a', index: 1, count: 4 })).toEqual({ refused: 'order' })
        expect(await put(s, { userId, upload: 'z', index: 1, count: 3 })).toEqual({ refused: 'order' })
        expect(await put(s, { userId, upload: 'a', index: 0, count: 3, data: 'again' })).toEqual({ stored: 1, complete: false })
        await put(s, { userId, upload: 'a', index: 1, count: 3 })
        expect(await put(s, { userId, upload: 'a', index: 2, count: 3 })).toEqual({ stored: 3, complete: true })
        expect(await s.blobs.getChunk(userId, 'backup', 0, 10)).toMatchObject({ data: 'again' })
      } finally {
        await s.close()
      }
    })

    it('bounds the slots a user holds; expired transfers and stale uploads free theirs; remove deletes', async () => {
      const s = await open()
      try {
        const userId = `u-${uid()}`
        await put(s, { userId, upload: 'a', index: 0, count: 1 })
        await put(s, { userId, slot: 'transfer.one', upload: 't1', index: 0, count: 1, expiresAt: 100 })
        expect(await put(s, { userId, slot: 'transfer.two', upload: 't2', index: 0, count: 1 })).toEqual({ refused: 'slots' })
        expect(await s.blobs.getChunk(userId, 'transfer.one', 0, 99)).toMatchObject({ upload: 't1' })
        expect(await s.blobs.getChunk(userId, 'transfer.one', 0, 100)).toBeNull() // expired
        expect(await put(s, { userId, slot: 'transfer.two', upload: 't2', index: 0, count: 2, now: 100 })).toEqual({ stored: 1, complete: false })
        // An unfinished upload holds its slot until it goes stale.
        expect(await put(s, { userId, slot: 'transfer.three', upload: 't3', index: 0, count: 1, now: 101 })).toEqual({ refused: 'slots' })
        expect(await put(s, { userId, slot: 'transfer.three', upload: 't3', index: 0, count: 1, now: 100 + STALE_UPLOAD_MS })).toEqual({ stored: 1, complete: true })
        expect(await s.blobs.remove(userId, 'transfer.three')).toBe(true)
        expect(await s.blobs.remove(userId, 'transfer.three')).toBe(false)
        expect(await s.blobs.getChunk(userId, 'transfer.three', 0, 100 + STALE_UPLOAD_MS)).toBeNull()
        expect(await s.blobs.getChunk(userId, 'backup', 0, 100 + STALE_UPLOAD_MS)).toMatchObject({ upload: 'a' })
      } finally {
        await s.close()
      }
    })
  })
}
