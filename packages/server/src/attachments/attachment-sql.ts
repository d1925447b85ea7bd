/**
 * The `AttachmentStore` on SQL (PGlite and PostgreSQL, tables of migration 20
 * `sql-attachments`; decision 0027): for small deployments without a writable disk to spare —
 * the filesystem store stays the default. The sealed bytes are `bytea` rows of at most
 * {@link ATTACHMENT_SQL_CHUNK_BYTES} keyed by their start offset, so a writer holds at most one
 * row in memory and a reader at most {@link ATTACHMENT_SQL_READ_ROWS} rows at a time, whatever
 * the file's size. The record's `written` is the offset: each row is inserted together with
 * the new offset in one transaction, and a new writer first deletes rows at or past the
 * offset, so bytes of a writer that died are never served (as the filesystem store truncates).
 * Reached as `store.attachments` of `pgliteStore` / `postgresStore`.
 */
import { num } from '../store/_sql-rows.js'
import type { SqlDriver } from '../store/sql-driver.js'
import type { AttachmentRecord, AttachmentStore, AttachmentWriter } from './attachment-store.js'

/** Bytes per stored row: what a writer buffers before inserting (256 KiB). */
export const ATTACHMENT_SQL_CHUNK_BYTES = 256 * 1024
/** Rows per read query: a download holds at most this many rows (1 MiB) at once. */
export const ATTACHMENT_SQL_READ_ROWS = 4

const COLUMNS = 'id, conversation_id, uploader, size, written, created_at, updated_at, expires_at'
/** The latest expiry of the messages naming `a`, null when one never expires (`expiryOfLinks` in SQL). */
const LINKED_EXPIRY = `(SELECT CASE WHEN bool_or(l.expires_at IS NULL) THEN NULL ELSE max(l.expires_at) END FROM attachment_links l WHERE l.attachment_id = a.id)`

function toRecord(r: Record<string, unknown>): AttachmentRecord {
  return {
    id: r.id as string, conversationId: r.conversation_id as string, uploader: r.uploader as string, size: num(r.size), offset: num(r.written),
    createdAt: num(r.created_at), updatedAt: num(r.updated_at), expiresAt: r.expires_at === null || r.expires_at === undefined ? null : num(r.expires_at),
  }
}

/**
 * The attachment store over `db` (the SQL store's driver; `sqlStore` migrates the schema).
 * `close()` does nothing: the connection belongs to the store it came with.
 */
export function sqlAttachmentStore(db: SqlDriver): AttachmentStore {
  // One writer per id in this process, as the filesystem store; across nodes a row is stored
  // only where the recorded offset still is, so a second writer fails rather than interleave.
  const writing = new Set<string>()
  // How bytes cross the driver, measured (bench/store/attachment-stores.ts): PGlite converts a
  // bytea parameter or result byte by byte in JS (~5x slower than a hex text), so rows go in
  // as hex text decoded by the database; node-postgres sends a Buffer as binary (faster than
  // hex). Both read hex text: node-postgres' bytea parsing is slower than Buffer.from(hex).
  const insertRow = db.kind === 'pglite'
    ? `INSERT INTO attachment_chunks (attachment_id, start, data) VALUES ($1, $2, decode($3, 'hex'))`
    : 'INSERT INTO attachment_chunks (attachment_id, start, data) VALUES ($1, $2, $3)'
  const rowParam = (bytes: Buffer) => (db.kind === 'pglite' ? bytes.toString('hex') : bytes)
  const get = async (id: string) => {
    const [r] = await db.query(`SELECT ${COLUMNS} FROM attachments WHERE id = $1`, [id])
    return r ? toRecord(r) : null
  }

  return {
    async create(r) {
      await db.query(
        'INSERT INTO attachments (id, conversation_id, uploader, size, written, created_at, updated_at) VALUES ($1, $2, $3, $4, 0, $5, $5)',
        [r.id, r.conversationId, r.uploader, r.size, r.createdAt], { write: true },
      )
    },
    get,
    async writer(id, offset) {
      const rec = await get(id)
      if (!rec) return null
      if (writing.has(id)) return 'busy'
      if (rec.offset !== offset) return 'offset'
      writing.add(id)
      try {
        // Rows past the recorded offset (not `offset`: another node may have moved it since).
        await db.query('DELETE FROM attachment_chunks WHERE attachment_id = $1 AND start >= (SELECT written FROM attachments WHERE id = $1)', [id], { write: true })
      } catch (e) {
        writing.delete(id)
        throw e
      }
      const row = Buffer.allocUnsafe(ATTACHMENT_SQL_CHUNK_BYTES)
      let stored = offset // what the rows hold: the offset
      let held = 0 // bytes in `row` not yet inserted
      let closed = false
      const flush = async () => {
        if (held === 0) return
        const start = stored
        const end = start + held
        await db.transaction(async (tx) => {
          await tx.query(insertRow, [id, start, rowParam(row.subarray(0, held))], { write: true })
          // Only from where this writer started: a writer of another node that moved it wins.
          const moved = await tx.query('UPDATE attachments SET written = $2 WHERE id = $1 AND written = $3 RETURNING 1', [id, end, start], { write: true })
          if (!moved.length) throw new Error('another writer moved this upload')
        })
        stored = end
        held = 0
      }
      const w: AttachmentWriter = {
        async write(chunk) {
          if (closed) throw new Error('writer closed')
          let done = 0
          while (done < chunk.length) {
            const take = Math.min(ATTACHMENT_SQL_CHUNK_BYTES - held, chunk.length - done)
            row.set(chunk.subarray(done, done + take), held)
            held += take
            done += take
            if (held === ATTACHMENT_SQL_CHUNK_BYTES) await flush()
          }
        },
        async end(now) {
          if (closed) return stored
          closed = true
          try {
            // A failed insert leaves the offset at the last stored row: the client resends from there.
            await flush().catch(() => undefined)
            await db.query('UPDATE attachments SET updated_at = $2 WHERE id = $1', [id, now], { write: true })
          } finally {
            writing.delete(id)
          }
          return stored
        },
      }
      return w
    },
    async setExpiry(id, expiresAt) {
      await db.query('UPDATE attachments SET expires_at = $2 WHERE id = $1', [id, expiresAt], { write: true })
    },
    async *read(id, start) {
      const rec = await get(id)
      if (!rec || start >= rec.offset) return
      let pos = start
      // Rows are at most a chunk long, so the row holding `pos` starts after `pos - chunk`.
      let after = start - ATTACHMENT_SQL_CHUNK_BYTES
      while (pos < rec.offset) {
        const rows = await db.query(
          `SELECT start, encode(data, 'hex') AS hex FROM attachment_chunks WHERE attachment_id = $1 AND start > $2 AND start < $3 ORDER BY start LIMIT $4`,
          [id, after, rec.offset, ATTACHMENT_SQL_READ_ROWS],
        )
        if (!rows.length) return // rows gone (released meanwhile): the reader sees a cut stream
        for (const r of rows) {
          const s = num(r.start)
          const data = Buffer.from(r.hex as string, 'hex')
          after = s
          const end = Math.min(s + data.length, rec.offset)
          if (end <= pos) continue
          if (s > pos) return // a gap: never serve bytes out of place
          yield data.subarray(pos - s, end - s)
          pos = end
        }
      }
    },
    link(ids, l) {
      if (!ids.length) return Promise.resolve([])
      return db.transaction(async (tx) => {
        const rows = await tx.query(
          `INSERT INTO attachment_links (attachment_id, message_id, expires_at)
           SELECT a.id, $2, $3 FROM attachments a
            WHERE a.id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND a.conversation_id = $4 AND a.uploader = $5 AND a.written = a.size
           ON CONFLICT (attachment_id, message_id) DO UPDATE SET message_id = EXCLUDED.message_id RETURNING attachment_id`,
          [JSON.stringify([...new Set(ids)]), l.messageId, l.expiresAt, l.conversationId, l.uploader], { write: true },
        )
        const linked = rows.map((r) => r.attachment_id as string)
        await tx.query(`UPDATE attachments a SET expires_at = ${LINKED_EXPIRY} WHERE a.id IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(linked)], { write: true })
        return linked
      })
    },
    release(messageId) {
      return db.transaction(async (tx) => {
        const rows = await tx.query('DELETE FROM attachment_links WHERE message_id = $1 RETURNING attachment_id', [messageId], { write: true })
        if (!rows.length) return 0
        const ids = JSON.stringify(rows.map((r) => r.attachment_id as string))
        const gone = await tx.query(
          `DELETE FROM attachments a WHERE a.id IN (SELECT jsonb_array_elements_text($1::jsonb))
             AND NOT EXISTS (SELECT 1 FROM attachment_links l WHERE l.attachment_id = a.id) RETURNING id`,
          [ids], { write: true },
        )
        await tx.query(`UPDATE attachments a SET expires_at = ${LINKED_EXPIRY} WHERE a.id IN (SELECT jsonb_array_elements_text($1::jsonb))`, [ids], { write: true })
        return gone.length
      })
    },
    async remove(id) {
      return (await db.query('DELETE FROM attachments WHERE id = $1 RETURNING 1', [id], { write: true })).length > 0
    },
    purge(now, staleBefore) {
      return db.transaction(async (tx) => {
        const gone = await tx.query(
          `DELETE FROM attachments WHERE (expires_at IS NOT NULL AND expires_at <= $1)
              OR (written < size AND updated_at < $2 AND id NOT IN (SELECT jsonb_array_elements_text($3::jsonb))) RETURNING id`,
          [now, staleBefore, JSON.stringify([...writing])], { write: true },
        )
        await tx.query('DELETE FROM attachment_links WHERE expires_at IS NOT NULL AND expires_at <= $1', [now], { write: true })
        return gone.length
      })
    },
    async close() {},
  }
}
