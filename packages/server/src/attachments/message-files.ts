/**
 * Attachments deleted with their message (docs/attachments.md "Deleted with their message",
 * decision 0027): a stored message links the out-of-band attachments it names, so each lives
 * as long as the last message naming it — the retention and disappearing purge by the messages'
 * `expiresAt`, delete for everyone (by the sender or a moderator) at once. Which attachments a
 * message names: in a readable body, its `file` references (the server reads them as it reads
 * the text); in E2EE, the ids the sender lists in `files` beside the ciphertext (the server
 * cannot read the payload). Either way only the sender's own complete uploads to that
 * conversation are linked, so naming someone else's file cannot get it deleted.
 */
import type { MessageSend } from '@parley/protocol'
import type { Ctx } from '../context.js'
import type { StoredMessage } from '../store/store.js'
import type { AttachmentStore } from './attachment-store.js'

/** What the message handlers call (as `ctx.files`) when attachments are mounted. */
export interface MessageFiles {
  /** After `m` is stored: links the attachments it names. Never throws (a failure is reported; the upload keeps its own expiry). */
  linked(m: StoredMessage, ids: readonly string[]): Promise<void>
  /** After a message was deleted for everyone: deletes the attachments no other message names. Never throws. */
  released(messageId: string): Promise<void>
}

/** The attachment ids a send names (readable body: its references; E2EE: the listed `files`). */
export function fileIdsOf(f: MessageSend): string[] {
  return f.mode === 'server-side' ? f.body.attachments.flatMap((a) => (a.file ? [a.file.id] : [])) : [...(f.files ?? [])]
}

/** The message hooks over `store`. */
export function messageFiles(ctx: Ctx, store: AttachmentStore): MessageFiles {
  return {
    async linked(m, ids) {
      if (!ids.length) return
      await store
        .link(ids, { messageId: m.id, conversationId: m.conversationId, uploader: m.sender.userId, expiresAt: m.expiresAt ?? null })
        .catch((e) => ctx.reportError(e, { where: 'store', event: 'attachment-link', userId: m.sender.userId }))
    },
    async released(messageId) {
      await store.release(messageId).catch((e) => ctx.reportError(e, { where: 'store', event: 'attachment-release' }))
    },
  }
}
