/**
 * The `ParleyStore` records of group rosters (docs/groups.md): a stored record, a roster
 * change to write and its outcome. Re-exported from `store.ts`.
 */
import type { RosterRecord } from '@parley/protocol'
import type { RosterState } from '@parley/crypto'
import type { ConversationRecord, Recipient, StoredMessage } from './store-messages.js'

/** A roster record as stored, with the conversation seq it took. */
export interface RosterEntry {
  record: RosterRecord
  seq: number
}

/**
 * A roster change to write: the signed record and the state it leads to (checked by the
 * server with `applyRosterRecord` first). The store writes the record as a `roster` message
 * at the next seq, the new state and members, and an inbox row for every active device of
 * every member before or after the change (a removed member learns of its removal) but the
 * signing device, all in one transaction.
 */
export interface RosterWrite {
  record: RosterRecord
  state: RosterState
  messageId: string
  now: number
}

/** Outcome of a roster write. */
export interface RosterOutcome {
  conversation: ConversationRecord
  message: StoredMessage
  recipients: Recipient[]
}
