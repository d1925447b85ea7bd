/**
 * The filesystem `AttachmentStore`, the default: one directory, two files per attachment —
 * `<id>.bin` (the sealed bytes) and `<id>.json` (the record, replaced atomically by rename).
 * The record's `offset` is the truth: a writer truncates the data file to it before writing,
 * so bytes written by a writer that died before `end` are never served. Links (messages naming
 * an attachment) live in its record (`links`: message id → expiry) and, per message, in
 * `<messageId>.links` (the ids it names), so `release` needs no scan.
 */
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expiryOfLinks, isComplete, type AttachmentRecord, type AttachmentStore, type AttachmentWriter } from './attachment-store.js'

/** Bytes per read of a download stream (fewer system calls than the 64 KiB default). */
export const ATTACHMENT_READ_BYTES = 256 * 1024
/** What an attachment id must look like before it becomes a file name. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/

/** Options of {@link fileAttachmentStore}. */
export interface FileAttachmentStoreOptions {
  /** The directory (created if absent). Default: a fresh temporary directory removed on `close()` — not for production. */
  dir?: string
}

/** A record as stored: with the messages naming it and their expiry. */
type Stored = AttachmentRecord & { links?: Record<string, number | null> }

function publicRecord(r: Stored): AttachmentRecord {
  const { links: _links, ...rec } = r
  return rec
}

function safeId(id: string): string {
  if (!SAFE_ID.test(id)) throw new TypeError('"id" expected 1..64 characters of [A-Za-z0-9_-]')
  return id
}

/**
 * An attachment store on the filesystem.
 * @example createParleyServer({ …, attachments: { store: fileAttachmentStore({ dir: './.parley-attachments' }) } })
 */
export function fileAttachmentStore(options: FileAttachmentStoreOptions = {}): AttachmentStore {
  const own = options.dir === undefined
  const dirReady: Promise<string> = own
    ? mkdtemp(join(tmpdir(), 'parley-attachments-'))
    : mkdir(options.dir!, { recursive: true }).then(() => options.dir!)
  const writing = new Set<string>()
  const data = async (id: string) => join(await dirReady, `${safeId(id)}.bin`)
  const meta = async (id: string) => join(await dirReady, `${safeId(id)}.json`)

  const linksOf = async (messageId: string) => join(await dirReady, `${safeId(messageId)}.links`)

  async function readJson<T>(path: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as T
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw e
    }
  }
  const load = async (id: string) => readJson<Stored>(await meta(id))
  async function save(r: Stored): Promise<void> {
    const path = await meta(r.id)
    await writeFile(`${path}.tmp`, JSON.stringify(r))
    await rename(`${path}.tmp`, path)
  }
  async function drop(id: string): Promise<boolean> {
    const had = (await load(id)) !== null
    await rm(await meta(id), { force: true })
    await rm(await data(id), { force: true })
    return had
  }

  return {
    async create(r) {
      await writeFile(await data(r.id), new Uint8Array(0))
      await save({ ...r, offset: 0, updatedAt: r.createdAt, expiresAt: null })
    },
    async get(id) {
      const r = await load(id)
      return r ? publicRecord(r) : null
    },
    async writer(id, offset) {
      const rec = await load(id)
      if (!rec) return null
      if (writing.has(id)) return 'busy'
      if (rec.offset !== offset) return 'offset'
      writing.add(id)
      try {
        const fh = await open(await data(id), 'r+')
        await fh.truncate(offset)
        let pos = offset
        let closed = false
        const w: AttachmentWriter = {
          async write(chunk) {
            let done = 0
            while (done < chunk.length) {
              const { bytesWritten } = await fh.write(chunk, done, chunk.length - done, pos)
              done += bytesWritten
              pos += bytesWritten
            }
          },
          async end(now) {
            if (closed) return pos
            closed = true
            try {
              // One sync when the file is whole, not per request: a crash mid-upload at worst
              // loses a tail the client resends (or a reader refuses as cut).
              if (pos === rec.size) await fh.datasync()
              await fh.close()
              await save({ ...rec, offset: pos, updatedAt: now })
            } finally {
              writing.delete(id)
            }
            return pos
          },
        }
        return w
      } catch (e) {
        writing.delete(id)
        throw e
      }
    },
    async setExpiry(id, expiresAt) {
      const rec = await load(id)
      if (rec) await save({ ...rec, expiresAt })
    },
    async *read(id, start) {
      const rec = await load(id)
      if (!rec || start >= rec.offset) return
      // Only up to the recorded offset: bytes past it belong to no finished write.
      for await (const piece of createReadStream(await data(id), { start, end: rec.offset - 1, highWaterMark: ATTACHMENT_READ_BYTES })) {
        yield piece as Buffer
      }
    },
    async link(ids, l) {
      const linked: string[] = []
      for (const id of new Set(ids)) {
        if (!SAFE_ID.test(id)) continue
        const rec = await load(id)
        if (!rec || !isComplete(rec) || rec.conversationId !== l.conversationId || rec.uploader !== l.uploader) continue
        const links = { ...rec.links }
        if (!(l.messageId in links)) links[l.messageId] = l.expiresAt
        await save({ ...rec, links, expiresAt: expiryOfLinks(Object.values(links)) })
        linked.push(id)
      }
      if (linked.length) {
        // The message's index first lists every id it may name, so a crash leaves no link release misses.
        const path = await linksOf(l.messageId)
        const before = (await readJson<string[]>(path)) ?? []
        await writeFile(`${path}.tmp`, JSON.stringify([...new Set([...before, ...linked])]))
        await rename(`${path}.tmp`, path)
      }
      return linked
    },
    async release(messageId) {
      const path = await linksOf(messageId)
      let n = 0
      for (const id of (await readJson<string[]>(path)) ?? []) {
        const rec = await load(id)
        if (!rec?.links || !(messageId in rec.links)) continue
        const { [messageId]: _gone, ...links } = rec.links
        if (Object.keys(links).length === 0) {
          if (await drop(id)) n++
        } else await save({ ...rec, links, expiresAt: expiryOfLinks(Object.values(links)) })
      }
      await rm(path, { force: true })
      return n
    },
    remove: (id) => drop(id),
    async purge(now, staleBefore) {
      let n = 0
      const names = await readdir(await dirReady)
      for (const name of names) {
        if (!name.endsWith('.json')) continue
        const id = name.slice(0, -5)
        if (!SAFE_ID.test(id) || writing.has(id)) continue
        const rec = await load(id)
        if (!rec) continue
        const expired = rec.expiresAt !== null && rec.expiresAt <= now
        const stale = rec.offset < rec.size && rec.updatedAt < staleBefore
        if (expired || stale) {
          if (await drop(id)) n++
        } else if (rec.links) {
          // Links of messages that expired (the attachment lives on for a later message).
          const links = Object.fromEntries(Object.entries(rec.links).filter(([, at]) => at === null || at > now))
          if (Object.keys(links).length !== Object.keys(rec.links).length) await save({ ...rec, links })
        }
      }
      for (const name of names) {
        if (!name.endsWith('.links')) continue
        const messageId = name.slice(0, -6)
        if (!SAFE_ID.test(messageId)) continue
        const path = await linksOf(messageId)
        let live = false
        for (const id of (await readJson<string[]>(path)) ?? []) if ((await load(id))?.links?.[messageId] !== undefined) live = true
        if (!live) await rm(path, { force: true })
      }
      return n
    },
    async close() {
      if (own) await rm(await dirReady, { recursive: true, force: true })
    },
  }
}
