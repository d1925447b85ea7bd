/**
 * `blob.put`, `blob.get`, `blob.delete` (issue 17, docs/recovery.md): opaque encrypted blobs of
 * the caller's own user — the backup and history transfers to a newly linked device. Only a
 * registered device writes the backup or starts a transfer (a stolen user token alone cannot
 * replace or delete the backup); a device that has only said hello may read (restore on a new
 * device, or a new device fetching its history) and delete a transfer it read. Everything is
 * ciphertext the server cannot open; it checks sizes and upload order only.
 */
import { ForbiddenError, InvalidFrameError, MAX_BLOB_SLOTS_PER_USER, NotFoundError, RateLimitedError, TRANSFER_BLOB_TTL_MS } from '@parley/protocol'
import { base64Bytes } from '../store/_base64-size.js'
import type { Ctx, Session } from '../context.js'
import type { Handler } from './types.js'

const isBackup = (slot: string) => slot === 'backup'

function mustBeRegistered(s: Session, what: string): void {
  if (!s.registered) throw new ForbiddenError(`only a registered device may ${what}`)
}

/**
 * The backup is written or deleted only by a device in the user's current device list (decision
 * 0024): a restore drops every lost device from the list, and one that stayed connected through
 * it still has a registered session. One device read per chunk. What this cannot stop: a lost
 * device holds the user identity secret and can sign itself back into the list — only a reset
 * removes it for good.
 */
async function mustBeListed(ctx: Ctx, s: Session, what: string): Promise<void> {
  mustBeRegistered(s, what)
  const device = await ctx.store.getDevice(s.userId, s.deviceId!)
  if (!device?.active) throw new ForbiddenError(`only a device in the user's current device list may ${what}`)
}

export const blobPut: Handler<'blob.put'> = {
  needs: 'hello',
  async run(ctx, s, f) {
    if (isBackup(f.slot)) await mustBeListed(ctx, s, 'write the backup')
    else mustBeRegistered(s, 'start a history transfer')
    if (f.index >= f.count) throw new InvalidFrameError('"index" must be below "count"', { event: 'blob.put' })
    const now = ctx.now()
    const r = await ctx.store.blobs.putChunk({
      userId: s.userId, slot: f.slot, upload: f.upload, index: f.index, count: f.count, data: f.data, bytes: base64Bytes(f.data), now,
      maxSlots: MAX_BLOB_SLOTS_PER_USER, ...(isBackup(f.slot) ? {} : { expiresAt: now + TRANSFER_BLOB_TTL_MS }),
    })
    if ('refused' in r) {
      if (r.refused === 'slots') throw new RateLimitedError(`at most ${MAX_BLOB_SLOTS_PER_USER} blobs per user; delete one or wait for transfers to expire`, { scope: 'blobs' })
      throw new NotFoundError('no upload in progress with this id, count and previous chunk; start again at chunk 0', { resource: 'blob-upload', id: f.upload })
    }
    return r
  },
}

export const blobGet: Handler<'blob.get'> = {
  needs: 'hello',
  async run(ctx, s, f) {
    const chunk = await ctx.store.blobs.getChunk(s.userId, f.slot, f.index, ctx.now())
    if (!chunk) throw new NotFoundError(isBackup(f.slot) ? 'no backup stored for this user' : 'no such history transfer (expired or never made)', { resource: 'blob' })
    return chunk
  },
}

export const blobDelete: Handler<'blob.delete'> = {
  needs: 'hello',
  async run(ctx, s, f) {
    if (isBackup(f.slot)) await mustBeListed(ctx, s, 'delete the backup')
    return { removed: await ctx.store.blobs.remove(s.userId, f.slot) }
  },
}
