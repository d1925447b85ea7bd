/**
 * The `BlobStore` on SQL (PGlite and PostgreSQL, tables of migration 9 `backup-blobs`). A put
 * runs in one transaction under a per-user advisory lock, so two uploads of one user never
 * interleave their checks; a read is one statement.
 */
import { num } from './_sql-rows.js'
import type { SqlDriver } from './sql-driver.js'
import { STALE_UPLOAD_MS, type BlobStore } from './blob-store.js'

/** Namespace of the per-user advisory lock (the other key is the hashed user id). */
const BLOB_LOCK_SPACE = 0x626c6f62 // "blob"

/** The blob store over `db` (the SQL store's driver; the schema is migrated by `sqlStore`). */
export function sqlBlobStore(db: SqlDriver): BlobStore {
  return {
    putChunk(p) {
      return db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BLOB_LOCK_SPACE, p.userId])
        const [pending] = await tx.query(`SELECT upload, chunks FROM blobs WHERE user_id = $1 AND slot = $2 AND state = 'pending'`, [p.userId, p.slot])
        if (p.index === 0 && pending?.upload !== p.upload) {
          // Expired transfers and stale uploads of this user free their slots first.
          await tx.query(
            `DELETE FROM blobs WHERE user_id = $1 AND ((state = 'committed' AND expires_at IS NOT NULL AND expires_at <= $2) OR (state = 'pending' AND updated_at <= $3))`,
            [p.userId, p.now, p.now - STALE_UPLOAD_MS],
          )
          const [held] = await tx.query(`SELECT count(DISTINCT slot) AS n, bool_or(slot = $2) AS mine FROM blobs WHERE user_id = $1`, [p.userId, p.slot])
          if (held!.mine !== true && num(held!.n) >= p.maxSlots) return { refused: 'slots' as const }
          // A new upload drops the slot's unfinished one; then every chunk of no upload goes.
          await tx.query(`DELETE FROM blobs WHERE user_id = $1 AND slot = $2 AND state = 'pending'`, [p.userId, p.slot])
          await tx.query(
            `DELETE FROM blob_chunks c WHERE c.user_id = $1 AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.user_id = c.user_id AND b.slot = c.slot AND b.upload = c.upload)`,
            [p.userId],
          )
          await tx.query(`INSERT INTO blobs (user_id, slot, state, upload, chunks, bytes, updated_at) VALUES ($1, $2, 'pending', $3, $4, 0, $5)`, [p.userId, p.slot, p.upload, p.count, p.now])
        } else {
          if (!pending || pending.upload !== p.upload || num(pending.chunks) !== p.count) return { refused: 'order' as const }
          if (p.index > 0) {
            const prev = await tx.query('SELECT 1 FROM blob_chunks WHERE user_id = $1 AND slot = $2 AND upload = $3 AND idx = $4', [p.userId, p.slot, p.upload, p.index - 1])
            if (!prev.length) return { refused: 'order' as const }
          }
          await tx.query(`UPDATE blobs SET updated_at = $3 WHERE user_id = $1 AND slot = $2 AND state = 'pending'`, [p.userId, p.slot, p.now])
        }
        await tx.query(
          `INSERT INTO blob_chunks (user_id, slot, upload, idx, bytes, data) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (user_id, slot, upload, idx) DO UPDATE SET bytes = EXCLUDED.bytes, data = EXCLUDED.data`,
          [p.userId, p.slot, p.upload, p.index, p.bytes, p.data],
          { write: true },
        )
        const [stored] = await tx.query('SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM blob_chunks WHERE user_id = $1 AND slot = $2 AND upload = $3', [p.userId, p.slot, p.upload])
        if (p.index < p.count - 1) return { stored: num(stored!.n), complete: false }
        // The last chunk: this upload replaces the committed blob, in this transaction.
        await tx.query(`DELETE FROM blobs WHERE user_id = $1 AND slot = $2 AND state = 'committed'`, [p.userId, p.slot])
        await tx.query('DELETE FROM blob_chunks WHERE user_id = $1 AND slot = $2 AND upload <> $3', [p.userId, p.slot, p.upload])
        await tx.query(
          `UPDATE blobs SET state = 'committed', bytes = $3, updated_at = $4, expires_at = $5 WHERE user_id = $1 AND slot = $2 AND state = 'pending'`,
          [p.userId, p.slot, num(stored!.bytes), p.now, p.expiresAt ?? null],
          { write: true },
        )
        return { stored: p.count, complete: true }
      })
    },
    async getChunk(userId, slot, index, now) {
      const [r] = await db.query(
        `SELECT b.upload, b.chunks, b.bytes, b.updated_at, c.data FROM blobs b
           JOIN blob_chunks c ON c.user_id = b.user_id AND c.slot = b.slot AND c.upload = b.upload AND c.idx = $3
          WHERE b.user_id = $1 AND b.slot = $2 AND b.state = 'committed' AND (b.expires_at IS NULL OR b.expires_at > $4)`,
        [userId, slot, index, now],
      )
      if (!r) return null
      return { upload: r.upload as string, index, count: num(r.chunks), bytes: num(r.bytes), updatedAt: num(r.updated_at), data: r.data as string }
    },
    remove(userId, slot) {
      return db.transaction(async (tx) => {
        const rows = await tx.query('DELETE FROM blobs WHERE user_id = $1 AND slot = $2 RETURNING 1', [userId, slot], { write: true })
        await tx.query('DELETE FROM blob_chunks WHERE user_id = $1 AND slot = $2', [userId, slot], { write: true })
        return rows.length > 0
      })
    },
  }
}
