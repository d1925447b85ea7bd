/**
 * The `AttachmentStore` conformance suite. Every backend runs exactly these tests
 * (`test/attachment-store.test.ts`: memory, filesystem, PGlite, PostgreSQL). Not part of the public entry point
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

/** Creates `id` and, unless `partial`, writes all of its `size` bytes. */
async function upload(s: AttachmentStore, id: string, conversationId: string, uploader: string, partial = false): Promise<void> {
  await s.create({ id, conversationId, uploader, size: 2, createdAt: 1 })
  const w = await s.writer(id, 0)
  if (typeof w !== 'object' || w === null) throw new Error(`no writer: ${w}`)
  await w.write(bytes(partial ? 1 : 2, 7))
  await w.end(2)
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

    it('a written chunk is the caller\'s again once its write settled (the routes reuse one buffer)', async () => {
      const s = await open()
      try {
        await s.create({ id: 'r1', conversationId: 'c1', uploader: 'u1', size: 8, createdAt: 5 })
        const w = await s.writer('r1', 0)
        if (typeof w !== 'object' || w === null) throw new Error(`no writer: ${w}`)
        const reused = bytes(4, 1)
        await w.write(reused)
        reused.fill(9)
        await w.write(reused.fill(2))
        reused.fill(9)
        expect(await w.end(6)).toBe(8)
        expect(await readAll(s, 'r1')).toEqual(new Uint8Array([1, 1, 1, 1, 2, 2, 2, 2]))
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

    it('a linked attachment lives until the last message naming it is released; only own, complete uploads of the conversation link', async () => {
      const s = await open()
      try {
        await upload(s, 'f1', 'c1', 'u1')
        await upload(s, 'f2', 'c1', 'u1')
        await upload(s, 'theirs', 'c1', 'u2')
        await upload(s, 'elsewhere', 'c2', 'u1')
        await upload(s, 'partial', 'c1', 'u1', true)
        await s.setExpiry('f1', 1000) // the grace expiry set at completion
        const m = (messageId: string, expiresAt: number | null) => ({ messageId, conversationId: 'c1', uploader: 'u1', expiresAt })
        expect((await s.link(['f1', 'f2', 'theirs', 'elsewhere', 'partial', 'missing', 'f1'], m('m1', 500))).sort()).toEqual(['f1', 'f2'])
        expect((await s.get('f1'))!.expiresAt).toBe(500) // the message's expiry replaces the upload's
        for (const id of ['theirs', 'elsewhere', 'partial']) expect((await s.get(id))!.expiresAt).toBeNull()
        expect(await s.link(['f1'], m('m2', 800))).toEqual(['f1'])
        expect((await s.get('f1'))!.expiresAt).toBe(800)
        await s.link(['f1'], m('m1', 900)) // linking again changes nothing
        expect((await s.get('f1'))!.expiresAt).toBe(800)
        expect(await s.release('m1')).toBe(1) // f2 went with its only message; f1 is still named by m2
        expect(await s.get('f2')).toBeNull()
        expect(await readAll(s, 'f2')).toEqual(new Uint8Array(0))
        expect(await s.get('f1')).toMatchObject({ expiresAt: 800, offset: 2 })
        expect(await s.release('m1')).toBe(0)
        expect(await s.release('m2')).toBe(1)
        expect(await s.get('f1')).toBeNull()
        for (const id of ['theirs', 'elsewhere', 'partial']) expect(await s.get(id)).not.toBeNull()
      } finally {
        await s.close()
      }
    })

    it('a message that never expires keeps its attachment; purge drops the links of expired messages', async () => {
      const s = await open()
      try {
        await upload(s, 'g1', 'c1', 'u1')
        const m = (messageId: string, expiresAt: number | null) => ({ messageId, conversationId: 'c1', uploader: 'u1', expiresAt })
        await s.link(['g1'], m('m1', 100))
        await s.link(['g1'], m('m2', null))
        expect((await s.get('g1'))!.expiresAt).toBeNull()
        expect(await s.purge(200, 0)).toBe(0)
        expect(await s.get('g1')).not.toBeNull()
        // m1 expired and its link went with the purge, so releasing m2 leaves no message naming g1.
        expect(await s.release('m2')).toBe(1)
        expect(await s.get('g1')).toBeNull()
      } finally {
        await s.close()
      }
    })

    it('a file of over a megabyte in odd pieces, cut once and resumed, reads back whole and from any offset', async () => {
      const s = await open()
      try {
        const size = 1024 * 1024 + 300_001 // more than one read page of the SQL store (4 rows of 256 KiB)
        const file = new Uint8Array(size).map((_, i) => (i * 31 + (i >> 16)) & 0xff)
        await s.create({ id: 'big', conversationId: 'c1', uploader: 'u1', size, createdAt: 1 })
        const cut = 700_003
        for (const [from, to] of [[0, cut], [cut, size]] as const) {
          const w = await s.writer('big', from)
          if (typeof w !== 'object' || w === null) throw new Error(`no writer: ${w}`)
          for (let at = from; at < to; at += 70_001) await w.write(file.subarray(at, Math.min(to, at + 70_001)))
          expect(await w.end(2)).toBe(to)
        }
        // Buffer.compare: vitest's toEqual walks a typed array element by element (seconds per MiB).
        expect(Buffer.compare(await readAll(s, 'big'), file)).toBe(0)
        for (const start of [1, cut, 256 * 1024, 256 * 1024 + 1, size - 1]) expect(Buffer.compare(await readAll(s, 'big', start), file.subarray(start))).toBe(0)
      } finally {
        await s.close()
      }
    })
  })
}
