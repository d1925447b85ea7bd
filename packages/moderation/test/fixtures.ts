/** Shared test fixtures: a message, an envelope, a base hook context and a sha256 helper. */
import type { AttachmentMeta, EnvelopeMeta, PlainMessage, VerifiedReport } from '@parley/protocol'
import type { PipelineContext } from '../src/index.js'

export const sender = { userId: 'alice', deviceId: 'd1' }

export function message(text: string, attachments: AttachmentMeta[] = []): PlainMessage {
  return { conversationId: 'c1', sender, text, attachments }
}

export function envelope(over: Partial<EnvelopeMeta> = {}): EnvelopeMeta {
  return { conversationId: 'c1', sender, mode: 'e2ee', recipientCount: 2, size: 100, attachmentCount: 0, ts: 1_000, ...over }
}

export function ctx(over: Partial<PipelineContext> = {}): PipelineContext {
  return { where: 'server', policy: 'server-side', mode: 'server-side', now: 1_000, ...over }
}

export function report(over: Partial<VerifiedReport> = {}): VerifiedReport {
  return {
    reportId: 'r1',
    conversationId: 'c1',
    reporter: { userId: 'bob', deviceId: 'd2' },
    reason: 'spam',
    receivedAt: 2_000,
    entries: [
      { messageId: 'm1', seq: 1, ts: 1_000, sender, text: 'secret words here', attachments: [], verified: true },
      { messageId: 'm2', seq: 3, ts: 1_100, sender, text: 'more secret words', attachments: [], verified: false, failure: 'bad_opening' },
    ],
    transcript: { verified: false, ordered: true, gaps: [2], complete: true, laterDelivered: 0 },
    ...over,
  }
}
