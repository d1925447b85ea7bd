/**
 * The in-memory `AttachmentStore` (tests, examples): the reference the conformance suite pins
 * the file store to. Holds every byte in memory: not for large files.
 */
import type { AttachmentRecord, AttachmentStore, AttachmentWriter } from './attachment-store.js'

/**
 * An attachment store in memory.
 * @example createParleyServer({ …, attachments: { store: memoryAttachmentStore() } })
 */
export function memoryAttachmentStore(): AttachmentStore {
  const records = new Map<string, { rec: AttachmentRecord; chunks: Uint8Array[] }>()
  const writing = new Set<string>()
  const drop = (id: string) => records.delete(id)
  return {
    async create(r) {
      records.set(r.id, { rec: { ...r, offset: 0, updatedAt: r.createdAt, expiresAt: null }, chunks: [] })
    },
    async get(id) {
      const e = records.get(id)
      return e ? { ...e.rec } : null
    },
    async writer(id, offset) {
      const e = records.get(id)
      if (!e) return null
      if (writing.has(id)) return 'busy'
      if (e.rec.offset !== offset) return 'offset'
      writing.add(id)
      let open = true
      const w: AttachmentWriter = {
        async write(chunk) {
          if (!open) throw new Error('writer closed')
          e.chunks.push(chunk.slice())
          e.rec.offset += chunk.length
        },
        async end(now) {
          if (open) {
            open = false
            writing.delete(id)
            e.rec.updatedAt = now
          }
          return e.rec.offset
        },
      }
      return w
    },
    async setExpiry(id, expiresAt) {
      const e = records.get(id)
      if (e) e.rec.expiresAt = expiresAt
    },
    async *read(id, start) {
      const e = records.get(id)
      if (!e) return
      let pos = 0
      for (const c of e.chunks) {
        if (pos + c.length > start) yield c.subarray(Math.max(0, start - pos))
        pos += c.length
      }
    },
    async remove(id) {
      return drop(id)
    },
    async purge(now, staleBefore) {
      let n = 0
      for (const [id, { rec }] of records) {
        const expired = rec.expiresAt !== null && rec.expiresAt <= now
        const stale = rec.offset < rec.size && rec.updatedAt < staleBefore && !writing.has(id)
        if (expired || stale) (drop(id), n++)
      }
      return n
    },
    async close() {
      records.clear()
    },
  }
}
