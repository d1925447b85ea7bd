/**
 * Finding a message of the local log (docs/messages.md, decision 0021). The log is keyed by
 * seq; each stored message also writes two indexes: `msgid/<conversation>/<id> → seq` (the
 * app's handle, and a lookup hint) and `msgtf/<conversation>/<tf> → seq` (what references
 * resolve by: the target's franking commitment, which the server cannot choose). Every lookup
 * is a constant number of reads: a reference to nothing costs O(1), never a log scan.
 */
import { MessageRefMismatchError, type MessageRef, type ParleyError } from '@parley/protocol'
import type { KeyStore, JsonValue } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'

/** Pending store changes layered over the store (`key in changes` reads through layers). */
export type Changes = Record<string, JsonValue | null>

const read = async <T>(store: KeyStore, changes: Changes | undefined, key: string): Promise<T | null> =>
  changes && key in changes ? (changes[key] as unknown as T | null) : ((await store.get<JsonValue>(key)) as unknown as T | null)

/** The stored message at `seq`, or null. */
export const messageAtSeq = (store: KeyStore, conversationId: string, seq: number, changes?: Changes): Promise<StoredMessage | null> =>
  read<StoredMessage>(store, changes, K.message(conversationId, seq))

/** The seq the id index holds for `messageId`, or null. */
export async function seqOfId(store: KeyStore, conversationId: string, messageId: string, changes?: Changes): Promise<number | null> {
  const seq = await read<number>(store, changes, K.messageId(conversationId, messageId))
  return typeof seq === 'number' ? seq : null
}

/** The seq the commitment index holds for `tf`, or null. */
export async function seqOfTf(store: KeyStore, conversationId: string, tf: string, changes?: Changes): Promise<number | null> {
  const seq = await read<number>(store, changes, K.messageTf(conversationId, tf))
  return typeof seq === 'number' ? seq : null
}

/** The stored message with server id `messageId` (the app's handle), or null. */
export async function findMessage(store: KeyStore, conversationId: string, messageId: string, changes?: Changes): Promise<StoredMessage | null> {
  const seq = await seqOfId(store, conversationId, messageId, changes)
  if (seq === null) return null
  const m = await messageAtSeq(store, conversationId, seq, changes)
  return m && m.id === messageId ? m : null
}

/** What a reference resolves to on this device. */
export type Resolved = { target: StoredMessage } | { error: ParleyError } | { missing: true }

/**
 * Resolves a reference by the target's commitment `ref.tf`; the id is only a hint:
 * - the message this device holds with that commitment, whatever id the server gave it here;
 * - else (a log written before the commitment index) the message under `ref.messageId`, if its
 *   commitment is `ref.tf`;
 * - a message under that id with another commitment is `message_ref_mismatch` (`tf_mismatch`:
 *   the server gave two messages one id); a reference without `tf` is `missing_tf`;
 * - nothing held: `missing` (a message from before this device, or withheld from it).
 */
export async function resolveRef(store: KeyStore, conversationId: string, ref: MessageRef, changes?: Changes): Promise<Resolved> {
  if (ref.tf === undefined) {
    return { error: new MessageRefMismatchError('a reference without the target\'s commitment was ignored', { messageId: ref.messageId, reason: 'missing_tf' }) }
  }
  const seq = await seqOfTf(store, conversationId, ref.tf, changes)
  if (seq !== null) {
    const m = await messageAtSeq(store, conversationId, seq, changes)
    if (m && m.tf === ref.tf) return { target: m }
  }
  const byId = await findMessage(store, conversationId, ref.messageId, changes)
  if (!byId) return { missing: true }
  if (byId.tf === ref.tf) return { target: byId }
  return { error: new MessageRefMismatchError('the message held under the referenced id has another commitment: not applied', { messageId: ref.messageId, reason: 'tf_mismatch' }) }
}

/** Writes `m` (a message, or a target with new derived state) and its id index into `changes`. */
export function putMessage(changes: Changes, m: StoredMessage): void {
  changes[K.message(m.conversationId, m.seq)] = m as unknown as JsonValue
  changes[K.messageId(m.conversationId, m.id)] = m.seq
}

/** Writes the commitment index of a newly stored message (the first message with a commitment keeps it). */
export function indexTf(changes: Changes, m: StoredMessage): void {
  changes[K.messageTf(m.conversationId, m.tf)] = m.seq
}

/**
 * The index entries of a log record written without them (a backup or history transfer
 * carries the log, not its indexes): id, commitment, and the sweep key of kept deleted content
 * (messages/evidence.ts). A record that is not a well-formed message gives none.
 */
export function logIndexEntries(value: unknown): Changes {
  const m = value as Partial<StoredMessage> | null
  if (!m || typeof m.conversationId !== 'string' || typeof m.id !== 'string' || typeof m.tf !== 'string' || !Number.isSafeInteger(m.seq)) return {}
  const out: Changes = { [K.messageId(m.conversationId, m.id)]: m.seq!, [K.messageTf(m.conversationId, m.tf)]: m.seq! }
  if (m.kept && Number.isSafeInteger(m.kept.until)) out[K.evidence(m.kept.until, m.conversationId, m.seq!)] = { conversationId: m.conversationId, seq: m.seq! }
  return out
}

/**
 * Makes sure the indexes of a conversation's log exist: a log written before them (or by a
 * client before decision 0021) is scanned once, in seq order (the first message with an id or
 * commitment keeps it), and a marker set; every later lookup is O(1). Writes into `changes`.
 */
export async function ensureIndexed(store: KeyStore, conversationId: string, changes: Changes): Promise<void> {
  if ((await read<number>(store, changes, K.messageIndexed(conversationId))) !== null) return
  const seen = new Set<string>()
  for (const key of (await store.keys(K.messagePrefix(conversationId))).sort()) {
    for (const [k, v] of Object.entries(logIndexEntries(await read<StoredMessage>(store, changes, key)))) {
      if (seen.has(k) || (!k.startsWith('evidence/') && (await read<number>(store, changes, k)) !== null)) continue
      seen.add(k)
      changes[k] = v
    }
  }
  changes[K.messageIndexed(conversationId)] = 1
}

/** {@link ensureIndexed}, written at once (for callers outside a batch; the entries are idempotent). */
export async function indexLog(store: KeyStore, conversationId: string): Promise<void> {
  const changes: Changes = {}
  await ensureIndexed(store, conversationId, changes)
  if (Object.keys(changes).length > 0) await store.saveChanges(changes)
}
