/**
 * The `AttachmentStore` conformance suite. Every backend runs exactly these tests
 * (`test/attachment-store.test.ts`: memory, filesystem). Not part of the public entry point
 * (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import type { AttachmentStore } from './attachment-store.js'

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill)
async function readAll(s: AttachmentStore, id: string, start = 0): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const p of s.read(id, start)) parts.push(p)
  return new Uint8Array(Buffer.concat(parts))
}

/**
 * Registers the attachment store conformance tests for one backend; `open` returns a fresh store.
 * @example attachmentContract('memory', async () => memoryAttachmentStore())
 */
export function attachmentContract(name: string, open: () => Promise<AttachmentStore>): void {
  describe(`AttachmentStore contract: ${name}`, () => {
    it('an upload in two writes at offsets reads back whole and from an offset', async () => {
      const s = await open()
      try {
        await s.create({ id: 'a1', conversationId: 'c1', uploader: 'u1', size: 10, createdAt: 5 })
        expect(await s.get('a1')).toEqual({ id: 'a1', conversationId: 'c1', uploader: 'u1', size: 10, offset: 0, createdAt: 5, updatedAt: 5, expiresAt: null })
        const w = await s.writer('a1', 0)
        if (typeof w !== 'object' || w === null) throw new Error(`no writer: ${w}`)
        await w.write(bytes(4, 1))
        expect(await w.end(6)).toBe(4)
        expect(await s.writer('a1', 0)).toBe('offset')
        const w2 = await s.writer('a1', 4)
        if (typeof w2 !== 'object' || w2 === null) throw new Error(`no writer: ${w2}`)
        expect(await s.writer('a1', 4)).toBe('busy')
        await w2.write(bytes(6, 2))
        expect(await w2.end(7)).toBe(10)
        expect(await s.get('a1')).toMatchObject({ offset: 10, updatedAt: 7 })
        expect(await readAll(s, 'a1')).toEqual(new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2, 2, 2]))
        expect(await readAll(s, 'a1', 6)).toEqual(bytes(4, 2))
        expect(await s.writer('missing', 0)).toBeNull()
        expect(await s.get('missing')).toBeNull()
      } finally {
        await s.close()
      }
    })

    it('purge deletes expired attachments and stale unfinished uploads only', async () => {
      const s = await open()
      try {
        for (const id of ['done', 'expired', 'stale', 'fresh']) await s.create({ id, conversationId: 'c1', uploader: 'u1', size: 2, createdAt: 100 })
        for (const id of ['done', 'expired']) {
          const w = await s.writer(id, 0)
          if (typeof w !== 'object' || w === null) throw new Error('no writer')
          await w.write(bytes(2, 3))
          await w.end(100)
        }
        await s.setExpiry('expired', 150)
        await s.setExpiry('done', 500)
        const w = await s.writer('fresh', 0)
        if (typeof w !== 'object' || w === null) throw new Error('no writer')
        await w.write(bytes(1, 3))
        await w.end(300)
        expect(await s.purge(200, 250)).toBe(2)
        expect(await s.get('expired')).toBeNull()
        expect(await s.get('stale')).toBeNull()
        expect(await s.get('done')).not.toBeNull()
        expect(await s.get('fresh')).not.toBeNull()
        expect(await s.remove('done')).toBe(true)
        expect(await s.remove('done')).toBe(false)
        expect(await readAll(s, 'done')).toEqual(new Uint8Array(0))
      } finally {
        await s.close()
      }
    })
  })
}
