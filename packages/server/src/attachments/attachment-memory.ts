/**
 * The in-memory `AttachmentStore` (tests, examples): the reference the conformance suite pins
 * the file store to. Holds every byte in memory: not for large files.
 */
import { expiryOfLinks, isComplete, type AttachmentRecord, type AttachmentStore, type AttachmentWriter } from './attachment-store.js'

/**
 * An attachment store in memory.
 * @example createParleyServer({ …, attachments: { store: memoryAttachmentStore() } })
 */
export function memoryAttachmentStore(): AttachmentStore {
  // `links`: message id → its expiry, per attachment; `named`: message id → the attachments it names.
  const records = new Map<string, { rec: AttachmentRecord; chunks: Uint8Array[]; links: Map<string, number | null> }>()
  const named = new Map<string, Set<string>>()
  const writing = new Set<string>()
  const drop = (id: string) => {
    const e = records.get(id)
    for (const m of e?.links.keys() ?? []) named.get(m)?.delete(id)
    return records.delete(id)
  }
  return {
    async create(r) {
      records.set(r.id, { rec: { ...r, offset: 0, updatedAt: r.createdAt, expiresAt: null }, chunks: [], links: new Map() })
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
    async link(ids, l) {
      const linked: string[] = []
      for (const id of new Set(ids)) {
        const e = records.get(id)
        if (!e || !isComplete(e.rec) || e.rec.conversationId !== l.conversationId || e.rec.uploader !== l.uploader) continue
        if (!e.links.has(l.messageId)) e.links.set(l.messageId, l.expiresAt)
        e.rec.expiresAt = expiryOfLinks(e.links.values())
        let set = named.get(l.messageId)
        if (!set) named.set(l.messageId, (set = new Set()))
        set.add(id)
        linked.push(id)
      }
      return linked
    },
    async release(messageId) {
      let n = 0
      for (const id of named.get(messageId) ?? []) {
        const e = records.get(id)
        if (!e) continue
        e.links.delete(messageId)
        if (e.links.size === 0) (drop(id), n++)
        else e.rec.expiresAt = expiryOfLinks(e.links.values())
      }
      named.delete(messageId)
      return n
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
      for (const [m, ids] of named) {
        for (const id of ids) {
          const links = records.get(id)?.links
          const at = links?.get(m)
          if (links && at !== undefined && at !== null && at <= now) (links.delete(m), ids.delete(id))
        }
        if (ids.size === 0) named.delete(m)
      }
      return n
    },
    async close() {
      records.clear()
      named.clear()
    },
  }
}
