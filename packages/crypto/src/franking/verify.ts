/**
 * Verification of reported messages and transcripts: each entry's opening and binding
 * (constant-time), then that the entries are one conversation in strictly increasing `seq`,
 * naming every gap. Nothing is dropped: a bad entry is marked with its failure.
 */
import type { ReportEntry, VerifiedReportEntry } from '@parley/protocol'
import { equalBytes, fromBase64 } from '../_bytes.js'
import { bindingBytes, keyById, type FrankingKeyring } from './bind.js'
import { checkFranking } from './commit.js'

/** Most gap seqs listed for one transcript (a forged far-away seq cannot blow up the list). */
export const MAX_TRANSCRIPT_GAPS = 1_000

type Failure = 'bad_opening' | 'bad_binding' | 'unknown_key'

/**
 * Edit chains (docs/messages.md): an edit or tombstone whose target is in the same report
 * must come from the target's author; otherwise it is marked `bad_reference` (kept, never
 * dropped). Checked over entries that verified, so both sides are the server's own binding.
 */
function markBadReferences(out: VerifiedReportEntry[]): void {
  const byId = new Map(out.filter((e) => e.verified).map((e) => [e.messageId, e]))
  for (const [i, e] of out.entries()) {
    if (!e.verified || !e.ref || (e.ref.kind !== 'edit' && e.ref.kind !== 'delete')) continue
    const target = byId.get(e.ref.messageId)
    if (target && target.sender.userId !== e.sender.userId) out[i] = { ...e, verified: false, failure: 'bad_reference' }
  }
}

/** Verifies one reported message: key id known, opening matches, binding matches. */
export function verifyReportedMessage(keyring: FrankingKeyring, entry: ReportEntry): { verified: true } | { verified: false; failure: Failure } {
  const key = typeof entry?.kid === 'string' ? keyById(keyring.keys, entry.kid) : undefined
  if (!key) return { verified: false, failure: 'unknown_key' }
  if (entry.deleted === true) {
    // Deleted for everyone: the reporter no longer holds the content; only the binding (the
    // sender, seq and time of a message with this commitment) can be checked — and it must
    // not pretend to carry content.
    if (entry.text !== '' || entry.attachments.length > 0) return { verified: false, failure: 'bad_opening' }
  } else if (!checkFranking({ text: entry.text, attachments: entry.attachments, ref: entry.ref, timer: entry.timer }, entry.nf, entry.tf)) {
    return { verified: false, failure: 'bad_opening' }
  }
  try {
    const expected = bindingBytes(key, { tf: fromBase64(entry.tf), sender: entry.sender, conversationId: entry.conversationId, seq: entry.seq, ts: entry.ts })
    if (!equalBytes(expected, fromBase64(entry.rf))) return { verified: false, failure: 'bad_binding' }
  } catch {
    return { verified: false, failure: 'bad_binding' }
  }
  return { verified: true }
}

/**
 * Verifies a transcript: every entry, one conversation, strictly increasing seq, and the seqs
 * missing between the first and last verified entry (`gaps`, at most MAX_TRANSCRIPT_GAPS).
 */
export function verifyTranscript(keyring: FrankingKeyring, entries: ReportEntry[], conversationId: string): {
  entries: VerifiedReportEntry[]; transcript: { verified: boolean; ordered: boolean; gaps: number[] }
} {
  const seenIds = new Set<string>()
  const seenSeqs = new Set<number>()
  const out: VerifiedReportEntry[] = []
  for (const e of entries) {
    const base: Omit<VerifiedReportEntry, 'verified'> = { messageId: e.messageId, seq: e.seq, ts: e.ts, sender: e.sender, text: e.text, attachments: e.attachments }
    if (e.ref) base.ref = { ...e.ref }
    if (e.timer !== undefined) base.timer = e.timer
    if (e.deleted === true) base.deleted = true
    let failure: VerifiedReportEntry['failure']
    if (e.conversationId !== conversationId) failure = 'wrong_conversation'
    else if (seenIds.has(e.messageId) || seenSeqs.has(e.seq)) failure = 'duplicate_entry'
    else {
      const r = verifyReportedMessage(keyring, e)
      if (!r.verified) failure = r.failure
    }
    seenIds.add(e.messageId)
    seenSeqs.add(e.seq)
    out.push(failure ? { ...base, verified: false, failure } : { ...base, verified: true })
  }
  markBadReferences(out)
  let ordered = true
  for (let i = 1; i < entries.length; i++) if (!(entries[i]!.seq > entries[i - 1]!.seq)) ordered = false
  const seqs = out.filter((e) => e.verified).map((e) => e.seq).sort((a, b) => a - b)
  const gaps: number[] = []
  for (let i = 1; i < seqs.length && gaps.length < MAX_TRANSCRIPT_GAPS; i++)
    for (let s = seqs[i - 1]! + 1; s < seqs[i]! && gaps.length < MAX_TRANSCRIPT_GAPS; s++) gaps.push(s)
  const verified = out.length > 0 && out.every((e) => e.verified) && ordered && gaps.length === 0
  return { entries: out, transcript: { verified, ordered, gaps } }
}
