/**
 * The in-memory `BlobStore` (the reference for `blob-sql.ts`): plain maps, every method runs to
 * completion synchronously, so each is atomic.
 */
import { STALE_UPLOAD_MS, type BlobChunk, type BlobStore } from './blob-store.js'

interface Upload {
  upload: string
  count: number
  chunks: { data: string; bytes: number }[]
  updatedAt: number
  expiresAt?: number
}

/** Creates an empty in-memory blob store. */
export function memoryBlobStore(): BlobStore {
  const committed = new Map<string, Upload>()
  const pending = new Map<string, Upload>()
  const key = (userId: string, slot: string) => `${userId}\n${slot}`
  const live = (u: Upload | undefined, now: number) => !!u && (u.expiresAt === undefined || u.expiresAt > now)

  /** Drops the user's expired blobs; returns the slots the user holds (committed or pending). */
  function slotsOf(userId: string, now: number): Set<string> {
    const out = new Set<string>()
    for (const [k, u] of committed) {
      if (!k.startsWith(`${userId}\n`)) continue
      if (!live(u, now)) committed.delete(k)
      else out.add(k)
    }
    for (const [k, u] of pending) {
      if (!k.startsWith(`${userId}\n`)) continue
      if (u.updatedAt <= now - STALE_UPLOAD_MS) pending.delete(k)
      else out.add(k)
    }
    return out
  }

  return {
    async putChunk(p) {
      const k = key(p.userId, p.slot)
      let up = pending.get(k)
      if (p.index === 0) {
        if (!up || up.upload !== p.upload) {
          const held = slotsOf(p.userId, p.now)
          if (!held.has(k) && held.size >= p.maxSlots) return { refused: 'slots' }
          up = { upload: p.upload, count: p.count, chunks: [], updatedAt: p.now }
          pending.set(k, up)
        }
      } else if (!up || up.upload !== p.upload || up.count !== p.count || up.chunks.length < p.index) {
        return { refused: 'order' }
      }
      if (up.count !== p.count) return { refused: 'order' }
      up.chunks[p.index] = { data: p.data, bytes: p.bytes }
      up.chunks.length = Math.max(up.chunks.length, p.index + 1)
      up.updatedAt = p.now
      if (p.index < p.count - 1) return { stored: up.chunks.length, complete: false }
      pending.delete(k)
      committed.set(k, { ...up, chunks: up.chunks.slice(0, p.count), ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}) })
      return { stored: p.count, complete: true }
    },
    async getChunk(userId, slot, index, now): Promise<BlobChunk | null> {
      const u = committed.get(key(userId, slot))
      if (!live(u, now) || index >= u!.count) return null
      const bytes = u!.chunks.reduce((n, c) => n + c.bytes, 0)
      return { upload: u!.upload, index, count: u!.count, bytes, updatedAt: u!.updatedAt, data: u!.chunks[index]!.data }
    },
    async remove(userId, slot) {
      const k = key(userId, slot)
      const a = committed.delete(k)
      const b = pending.delete(k)
      return a || b
    },
  }
}
