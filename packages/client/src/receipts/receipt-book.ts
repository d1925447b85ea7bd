/**
 * The receipt book of a conversation (docs/messages.md, "Receipts"): for every member device
 * that sent a verified receipt, the highest seq it marked `delivered` and `read`, kept in the
 * key store under `receipts/<conversation>`, written in the same `saveChanges` as the receipt
 * message itself. This user's own read marker (`read/<conversation>`) moves with the read
 * receipts of any of its devices, so reading on one device clears the unread count on all.
 */
import type { DeviceAddress, ReceiptKind } from '@parley/protocol'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import type { Changes } from '../messages/find-message.js'

/** One device's marks: the highest seq it said it stored (`delivered`) and read, with the receipt's server time. */
export interface DeviceMarks {
  delivered?: { seq: number; ts: number }
  read?: { seq: number; ts: number }
}

/** userId → deviceId → marks. */
export type ReceiptBook = Record<string, Record<string, DeviceMarks>>

/** Key-store keys of the receipt state. */
export const RK = {
  book: (conversationId: string) => `receipts/${conversationId}`,
  /** This user's read marker: the highest seq any of its devices read (a number). */
  readMarker: (conversationId: string) => `read/${conversationId}`,
  /** Seqs of stored receipts whose target this device did not hold yet (its own send not acked yet). */
  pending: (conversationId: string) => `receipts-pending/${conversationId}`,
  /** The highest seq this device sent a `delivered` receipt for. */
  deliveredSent: (conversationId: string) => `receipts-sent/${conversationId}`,
}

const read = async <T>(store: KeyStore, changes: Changes | undefined, key: string): Promise<T | null> =>
  changes && key in changes ? (changes[key] as unknown as T | null) : ((await store.get<JsonValue>(key)) as unknown as T | null)

/** The stored book (an empty one when absent or malformed). */
export async function loadBook(store: KeyStore, conversationId: string, changes?: Changes): Promise<ReceiptBook> {
  const raw = await read<ReceiptBook>(store, changes, RK.book(conversationId))
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? raw : {}
}

/**
 * This user's read marker (-1 when nothing was read): the local marker, or the highest read mark
 * of any of `selfUserId`'s devices in the book — the book travels in backups and device-link
 * transfers (`SNAPSHOT_PREFIXES`), so a restored or linked device starts with the right count.
 */
export async function readMarker(store: KeyStore, conversationId: string, selfUserId: string, changes?: Changes): Promise<number> {
  const v = await read<number>(store, changes, RK.readMarker(conversationId))
  let marker = typeof v === 'number' ? v : -1
  const own = (await loadBook(store, conversationId, changes))[selfUserId] ?? {}
  for (const d of Object.values(own)) marker = Math.max(marker, d.read?.seq ?? -1)
  return marker
}

/**
 * `o[key]`, created as `{}` when `o` has no own property `key`. Own properties only: the keys are
 * ids from the wire, and `o['__proto__'] ??= {}` on a plain object hands back `Object.prototype`
 * (the protocol refuses such ids too, `RESERVED_IDS`; this keeps the book safe on its own).
 */
function ownEntry<T extends object>(o: Record<string, T>, key: string): T {
  if (!Object.hasOwn(o, key)) Object.defineProperty(o, key, { value: {}, enumerable: true, writable: true, configurable: true })
  return o[key]!
}

/**
 * Raises `from`'s `kind` mark to `seq` in `book` (a read also raises delivered: a device that
 * read a message stored it). Returns the previous mark of that kind, or null when the receipt
 * moves nothing (a mark never goes down: an old receipt delivered late changes nothing).
 */
export function raiseMark(book: ReceiptBook, from: DeviceAddress, kind: ReceiptKind, seq: number, ts: number): number | null {
  const devices = ownEntry(book, from.userId)
  const marks = ownEntry(devices, from.deviceId)
  const prev = marks[kind]?.seq ?? -1
  if (seq <= prev) return null
  marks[kind] = { seq, ts }
  if (kind === 'read' && (marks.delivered?.seq ?? -1) < seq) marks.delivered = { seq, ts }
  return prev
}
