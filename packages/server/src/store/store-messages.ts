/**
 * The `ParleyStore` records of conversations and messages: stored messages and deliveries,
 * what an append takes and returns, and a mode upgrade's outcome. Re-exported from `store.ts`.
 */
import type {
  ConversationInfo, DeviceAddress, EncryptedAttachment, EncryptionMode, Envelope, Franking, ModeChange, RosterRecord, SenderKeyMessage,
} from '@parley/protocol'

/** A conversation as stored. Members are sorted; 1:1 today, the tables allow groups. */
export type ConversationRecord = ConversationInfo

/** A server-side body sealed at rest (`sealAtRest`), base64, with the data key id. */
export interface SealedBody {
  kid: string
  data: string
}

/** A stored message, mode-change or roster record. Bodies and ciphertext are gone once deleted. */
export interface StoredMessage {
  id: string
  conversationId: string
  seq: number
  ts: number
  kind: 'message' | 'mode_change' | 'roster'
  sender: DeviceAddress
  clientMessageId?: string
  mode: EncryptionMode
  sealedBody?: SealedBody
  attachments?: EncryptedAttachment[]
  franking?: Franking
  modeChange?: ModeChange
  /** `kind: 'roster'`: the signed record. */
  roster?: RosterRecord
  /** A sender-key group message: its one ciphertext (the same for every recipient device). */
  senderKey?: SenderKeyMessage
  deleted: boolean
  expiresAt?: number
}

/** One row of a device's inbox: the message and, for e2ee, this device's envelope. */
export interface StoredDelivery {
  /** This device's inbox id; 0 in history for messages that never went to this device. */
  inboxId: number
  message: StoredMessage
  envelope?: Pick<Envelope, 'type' | 'ciphertext'>
}

/** A message to append. The store assigns `seq` and `ts` in its transaction. */
export interface NewMessage {
  id: string
  conversationId: string
  sender: DeviceAddress
  clientMessageId: string
  mode: EncryptionMode
  tf: string
  /** Server-side: the sealed body. */
  sealedBody?: SealedBody
  /**
   * E2EE: exactly one envelope per current device of every member but the sender's; with
   * `senderKey`, the chain distributions, one per device not in `senderKeyHolders`.
   */
  envelopes?: Envelope[]
  /** A sender-key group message (docs/groups.md): the one ciphertext every member device reads. */
  senderKey?: SenderKeyMessage
  /** With `senderKey`: the devices already given that chain (read from `senderKeys` before the append). */
  senderKeyHolders?: DeviceAddress[]
  attachments?: EncryptedAttachment[]
  expiresAt?: number
  /**
   * Users whose devices get no inbox row (a blocked sender's message to the blocker). E2EE
   * coverage is still checked against every member's devices first, so leaving a blocker's
   * envelopes out is refused as when no block exists (docs/decisions/0005).
   */
  withheldFrom?: string[]
}

/** One recipient device of an appended message. */
export interface Recipient extends DeviceAddress {
  inboxId: number
  envelope?: Pick<Envelope, 'type' | 'ciphertext'>
}

/** Outcome of one message of an `appendMessages` batch. Errors are per message. */
export type AppendOutcome =
  | { ok: true; duplicate: boolean; message: StoredMessage; recipients: Recipient[] }
  | { ok: false; error: unknown }

/**
 * Computes the franking binding once the store has assigned `seq` and `ts` (inside its
 * transaction, so the binding covers exactly what is stored).
 */
export type FrankingBinder = (message: NewMessage, seq: number, ts: number) => Franking

/** Outcome of a mode upgrade. */
export interface UpgradeOutcome {
  conversation: ConversationRecord
  /** False when the conversation was already e2ee (idempotent). */
  changed: boolean
  message?: StoredMessage
  recipients: Recipient[]
}
