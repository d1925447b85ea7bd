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
 * References inside one report (docs/messages.md, decision 0021), over entries that verified
 * (so both sides carry the server's own binding). A reference names its target by commitment
 * `tf` (by id for a reference from before 0021):
 * - an edit or tombstone whose target is in the report must come from the target's author,
 *   else it is marked `bad_reference`;
 * - an entry marked `deleted` needs a verified tombstone for it (an edit: for its original)
 *   from its sender's user, else it is marked `no_tombstone` (a reporter cannot pass a genuine message off as deleted).
 * Entries are kept, never dropped. Linear in the entries (maps, no pairwise scan).
 */
function markReferences(out: VerifiedReportEntry[], tfs: string[]): void {
  const byTf = new Map<string, VerifiedReportEntry>()
  const byId = new Map<string, VerifiedReportEntry>()
  for (const [i, e] of out.entries()) {
    if (!e.verified) continue
    // The first (lowest-seq) holder of a commitment wins: a later copy of a message's opening,
    // re-sent by a member who received it, must not take over its edits and tombstone.
    if (!byTf.has(tfs[i]!)) byTf.set(tfs[i]!, e)
    if (!byId.has(e.messageId)) byId.set(e.messageId, e)
  }
  // A target comes before what refers to it.
  const targetOf = (e: VerifiedReportEntry) => {
    const t = e.ref?.tf !== undefined ? byTf.get(e.ref.tf) : byId.get(e.ref!.messageId)
    return t !== undefined && t.seq < e.seq ? t : undefined
  }
  const tombstoned = new Set<VerifiedReportEntry>()
  for (const [i, e] of out.entries()) {
    if (!e.verified || !e.ref || (e.ref.kind !== 'edit' && e.ref.kind !== 'delete')) continue
    const target = targetOf(e)
    if (target && target.sender.userId !== e.sender.userId) out[i] = { ...e, verified: false, failure: 'bad_reference' }
    else if (target && e.ref.kind === 'delete') tombstoned.add(target)
  }
  // An edit of a deleted message is deleted with it: its tombstone is the original's.
  const covered = (e: VerifiedReportEntry) => {
    if (tombstoned.has(e)) return true
    const target = e.ref?.kind === 'edit' ? targetOf(e) : undefined
    return target !== undefined && tombstoned.has(target) && target.sender.userId === e.sender.userId
  }
  for (const [i, e] of out.entries()) {
    if (e.verified && e.deleted === true && !covered(e)) out[i] = { ...e, verified: false, failure: 'no_tombstone' }
  }
}

/** Verifies one reported message: key id known, opening matches, binding matches. */
export function verifyReportedMessage(keyring: FrankingKeyring, entry: ReportEntry): { verified: true } | { verified: false; failure: Failure } {
  const key = typeof entry?.kid === 'string' ? keyById(keyring.keys, entry.kid) : undefined
  if (!key) return { verified: false, failure: 'unknown_key' }
  const opens = checkFranking({ text: entry.text, attachments: entry.attachments, ref: entry.ref, timer: entry.timer }, entry.nf, entry.tf)
  // Deleted for everyone (decision 0021): within the evidence window the reporter still holds
  // the content and it must open like any entry; after it, the content is empty and only the
  // binding (sender, seq and time of a message with this commitment) is checked. Whether a
  // tombstone stands behind `deleted` is checked over the whole report (markReferences).
  const bindingOnly = entry.deleted === true && entry.text === '' && entry.attachments.length === 0
  if (!opens && !bindingOnly) return { verified: false, failure: 'bad_opening' }
  // An entry that did not open proves no reference: a reference on it would be the reporter's
  // word, which could pass any genuine message off as a tombstone or an edit of a deleted one.
  if (!opens && entry.ref !== undefined) return { verified: false, failure: 'bad_opening' }
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
  markReferences(out, entries.map((e) => e.tf))
  let ordered = true
  for (let i = 1; i < entries.length; i++) if (!(entries[i]!.seq > entries[i - 1]!.seq)) ordered = false
  const seqs = out.filter((e) => e.verified).map((e) => e.seq).sort((a, b) => a - b)
  const gaps: number[] = []
  for (let i = 1; i < seqs.length && gaps.length < MAX_TRANSCRIPT_GAPS; i++)
    for (let s = seqs[i - 1]! + 1; s < seqs[i]! && gaps.length < MAX_TRANSCRIPT_GAPS; s++) gaps.push(s)
  const verified = out.length > 0 && out.every((e) => e.verified) && ordered && gaps.length === 0
  return { entries: out, transcript: { verified, ordered, gaps } }
}
