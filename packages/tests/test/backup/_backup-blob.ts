/**
 * What the backup hostile tests read of a stored backup: the blob the server holds and whether
 * a content key opens it (a refusal is `BackupCorruptError`; anything else is a test failure).
 */
import { expect } from 'vitest'
import { BackupCorruptError, fromBase64 } from '@parley/protocol'
import { openBackup, readBackup } from '@parley/crypto'
import type { ParleyStore } from '@parley/server'

/** The associated data a user's backup is sealed under (docs/recovery.md). */
export const backupAd = (userId: string) => new TextEncoder().encode(`parley/backup/v1\n${userId}`)

/** The stored backup of `userId` (one chunk at the tests' sizes). */
export async function storedBackup(store: ParleyStore, userId: string): Promise<Uint8Array> {
  const chunk = (await store.blobs.getChunk(userId, 'backup', 0, Date.now()))!
  expect(chunk.count).toBe(1)
  return fromBase64(chunk.data)
}

/** Whether `key` opens `blob` as `userId`'s backup. */
export function opensBackup(key: Uint8Array, blob: Uint8Array, userId: string): boolean {
  try {
    openBackup(key, readBackup(blob), backupAd(userId))
    return true
  } catch (e) {
    if (!BackupCorruptError.isInstance(e)) throw e
    return false
  }
}

/** The error `p` rejects with, or null when it resolves. */
export const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e)
