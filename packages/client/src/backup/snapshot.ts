/**
 * What a backup and a history transfer carry (issue 17, docs/recovery.md): the records of this
 * device's key store that make up the user's history and trust — the message log with its
 * franking openings (so reports of restored messages verify), conversation pins, verified group
 * rosters and pinned peer identities. Never sessions, prekeys or the outbox: ratchet state must
 * not be copied (two devices on one chain, or an old chain replayed), and a restored or linked
 * device is a new device with its own keys. A backup adds the user identity key.
 */
import { BackupCorruptError, SignedDeviceListSchema, UserIdSchema, PublicKeySchema, base64Exact, parseWith } from '@parley/protocol'
import * as v from 'valibot'
import { assertKey, type JsonValue, type KeyStore } from '../key-store/key-store.js'
import { K, type PeerRecord } from '../store-layout.js'
import { fromUtf8, utf8 } from '../util.js'
import { logIndexEntries } from '../messages/find-message.js'
import { PIN_PREFIX } from '../disappearing/message-timer.js'
import { carried as asCarried } from '../disappearing/carried-pins.js'
import { capCarriedRanges, GONE_FLOOR_PREFIX } from '../disappearing/tombstones.js'

/**
 * Key-store prefixes a snapshot carries: conversation pins, the message log, rosters, peer pins,
 * the disappearing-message expiries, tombstones and their folded ranges (so a restored or linked
 * device expires what the old one would have, and does not take expired seqs back from server
 * history), the disappearing pins (decision 0025: imported as carried pins, verified on the
 * first connect before they count; disappearing/carried-pins.ts), and the receipt book (so it
 * starts with the right unread counts, receipts/).
 */
export const SNAPSHOT_PREFIXES = [K.conversationPrefix, 'msg/', 'roster/', 'peer/', 'exp/', 'gone/', GONE_FLOOR_PREFIX, PIN_PREFIX, 'receipts/'] as const
/** Most records one snapshot may hold (a bound for a hostile or damaged one, far above any real log). */
export const MAX_SNAPSHOT_RECORDS = 2_000_000

// Values are records, except tombstones (`gone/`: the commitment, or 1 before decision 0025;
// checked per key in readSnapshot). Refusing those made any backup or transfer of a device that
// had expired a message unrestorable ("malformed").
const RecordSchema = v.tuple([v.string(), v.union([v.record(v.string(), v.unknown()), v.string(), v.number()])])
const SnapshotSchema = v.strictObject({
  v: v.literal(1),
  kind: v.picklist(['backup', 'transfer']),
  userId: UserIdSchema,
  createdAt: v.number(),
  /** A backup's number: one more than the last this key wrote (decision 0023); absent in a transfer. */
  version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  identity: v.optional(v.strictObject({
    user: v.strictObject({ publicKey: PublicKeySchema, secretKey: base64Exact(32) }),
    deviceList: SignedDeviceListSchema,
  })),
  records: v.pipe(v.array(RecordSchema), v.maxLength(MAX_SNAPSHOT_RECORDS)),
})
export type Snapshot = v.InferOutput<typeof SnapshotSchema>

const carried = (key: string) => SNAPSHOT_PREFIXES.some((p) => key.startsWith(p))

/**
 * Reads the carried records of `store` (call inside the crypto lock for a consistent view).
 * A peer's pending identity change is left out: the restored device meets it again itself.
 */
export async function takeSnapshot(store: KeyStore, args: { kind: 'backup' | 'transfer'; userId: string; now: number; version?: number; identity?: Snapshot['identity'] }): Promise<Uint8Array> {
  const records: [string, JsonValue][] = []
  for (const prefix of SNAPSHOT_PREFIXES) {
    for (const key of await store.keys(prefix)) {
      let value = await store.get<JsonValue>(key)
      if (value === null) continue
      if (key.startsWith('peer/')) {
        const { pending: _pending, ...rest } = value as unknown as PeerRecord
        value = rest as unknown as JsonValue
      }
      records.push([key, value])
    }
  }
  const snap = { v: 1, kind: args.kind, userId: args.userId, createdAt: args.now, ...(args.version !== undefined ? { version: args.version } : {}), ...(args.identity ? { identity: args.identity } : {}), records }
  return utf8(JSON.stringify(snap))
}

/**
 * Parses an opened snapshot of `userId` into the store changes it makes.
 * @throws {BackupCorruptError} when it is malformed, of another kind or user, or names a record it may not carry.
 */
export function readSnapshot(bytes: Uint8Array, expect: { kind: 'backup' | 'transfer'; userId: string }): { snapshot: Snapshot; changes: Record<string, JsonValue> } {
  let snapshot: Snapshot
  try {
    snapshot = parseWith(SnapshotSchema, JSON.parse(fromUtf8(bytes)), 'snapshot')
  } catch {
    throw new BackupCorruptError('the snapshot is malformed', { reason: 'malformed' })
  }
  if (snapshot.kind !== expect.kind) throw new BackupCorruptError(`expected a ${expect.kind}, found a ${snapshot.kind}`, { reason: 'kind' })
  if (snapshot.userId !== expect.userId) throw new BackupCorruptError('the snapshot belongs to another user', { reason: 'user' })
  if (expect.kind === 'backup' && !snapshot.identity) throw new BackupCorruptError('the backup holds no identity', { reason: 'identity' })
  const changes: Record<string, JsonValue> = {}
  for (const [key, value] of snapshot.records) {
    try {
      assertKey(key)
    } catch {
      throw new BackupCorruptError('the snapshot names a bad key', { reason: 'key' })
    }
    if (!carried(key)) throw new BackupCorruptError('the snapshot carries a record it may not', { reason: 'key' })
    if (typeof value !== 'object' && !key.startsWith('gone/')) throw new BackupCorruptError('the snapshot is malformed', { reason: 'malformed' })
    // A pin is not believed from the snapshot: it waits to be verified like any setting.
    const [k, val] = asCarried(key, value as JsonValue)
    changes[k] = val
    // The log's indexes are not carried: rebuilt here, so references resolve without a scan.
    // The lowest seq keeps an id or commitment (as on a live device), whatever the record order:
    // a later copy of a message's opening must not take over its edits and tombstone.
    if (key.startsWith('msg/')) {
      for (const [k, v] of Object.entries(logIndexEntries(value))) {
        const held = changes[k]
        if (typeof held === 'number' && typeof v === 'number' && held <= v) continue
        changes[k] = v
      }
    }
  }
  capCarriedRanges(changes) // a carried tombstone range reaches no further than the snapshot's seqs
  return { snapshot, changes }
}

/** The key of the backup settings on this device (content key and key wraps; never the recovery key). */
export const BACKUP_CONFIG_KEY = 'backup/config'
