/**
 * Every size and count limit of the wire protocol, declared once. Schemas, the server's
 * `maxHttpBufferSize` and the docs all read these constants.
 */

/** Bytes of an X25519 or Ed25519 public key. */
export const PUBLIC_KEY_BYTES = 32
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64
/** Bytes of an ML-KEM-768 encapsulation (public) key. */
export const KEM_PUBLIC_KEY_BYTES = 1184
/** Bytes of an ML-KEM-768 ciphertext. */
export const KEM_CIPHERTEXT_BYTES = 1088
/** Bytes of a franking key `nf`, commitment `tf`, or server binding `rf`. */
export const FRANKING_BYTES = 32

/** Longest user id (integrator-chosen), in characters. */
export const MAX_USER_ID_LENGTH = 128
/** Longest device, conversation, message or report id, in characters. */
export const MAX_ID_LENGTH = 64
/** Longest message text, in UTF-16 code units. */
export const MAX_TEXT_LENGTH = 8_000
/** Most attachments on one message. */
export const MAX_ATTACHMENTS = 4
/** Largest attachment, in bytes before base64. */
export const MAX_ATTACHMENT_BYTES = 256 * 1024
/** Longest attachment file name, in characters. */
export const MAX_ATTACHMENT_NAME_LENGTH = 255
/** Longest MIME type, in characters. */
export const MAX_MIME_LENGTH = 127
/** Largest per-device ciphertext of one E2EE message (text and attachment keys), in bytes. */
export const MAX_CIPHERTEXT_BYTES = 64 * 1024
/** Most recipient-device envelopes on one E2EE message (both users' devices). */
export const MAX_ENVELOPES = 32
/** Largest group the protocol can describe (the server's `maxGroupMembers` option is at most this). */
export const MAX_GROUP_MEMBERS = 1_000
/** Default member limit of a group (server option `maxGroupMembers`). */
export const DEFAULT_MAX_GROUP_MEMBERS = 100
/** Most users one `devicelist.fetch` asks for. */
export const MAX_DEVICE_LIST_FETCH = 100
/** Most users one roster record adds or removes. */
export const MAX_ROSTER_CHANGE = 100
/** Most roster records one `roster.fetch` returns. */
export const MAX_ROSTER_FETCH = 500
/** Longest group title, in UTF-16 code units. */
export const MAX_TITLE_LENGTH = 200
/** Most devices one user may list. */
export const MAX_DEVICES_PER_USER = 16
/**
 * Largest sealed group title (decision 0022), in bytes: the title padded to 64-byte blocks
 * with a 2-byte length (at most 3 UTF-8 bytes per UTF-16 unit: 602 → 640), plus the AEAD's
 * 24-byte nonce and 32-byte tag.
 */
export const MAX_SEALED_TITLE_BYTES = 640 + 24 + 32
/** Most wrapped title keys in one sealed title: one per device of a full group. */
export const MAX_SEALED_TITLE_KEYS = MAX_GROUP_MEMBERS * MAX_DEVICES_PER_USER
/**
 * Most recipient-device envelopes on one E2EE message of a group (pairwise fan-out: every
 * device of every member but the sending device), derived so a full group of full device lists
 * always fits the schema: {@link MAX_GROUP_MEMBERS} × {@link MAX_DEVICES_PER_USER} − 1. The
 * frame size ({@link MAX_FRAME_BYTES}) and the server's member limit bound a real send further.
 */
export const MAX_GROUP_ENVELOPES = MAX_GROUP_MEMBERS * MAX_DEVICES_PER_USER - 1
/** Most one-time prekeys (of each kind) in one upload. */
export const MAX_PREKEYS_PER_UPLOAD = 100
/** Largest numeric id for a prekey (fits a u32). */
export const MAX_PREKEY_ID = 0xffff_ffff
/** Most messages one `history.fetch` returns. */
export const MAX_HISTORY_LIMIT = 100
/** Most deliveries one `inbox.sync` returns. */
export const MAX_SYNC_LIMIT = 500
/** Most message ids in one receipt. */
export const MAX_RECEIPT_IDS = 100
/** Most entries one report may carry. */
export const MAX_REPORT_ENTRIES = 50
/** Longest report reason, in characters. */
export const MAX_REASON_LENGTH = 1_000
/** Longest plugin name or version string. */
export const MAX_PLUGIN_NAME_LENGTH = 64
/**
 * Largest device-link payload (the encrypted user identity key, device list and the existing
 * device's conversation pins), in bytes: room for {@link MAX_LINK_PINS} pins.
 */
export const MAX_LINK_PAYLOAD_BYTES = 512 * 1024
/** Most conversation pins (members, mode, signed mode change) a device link carries: the newest ones. */
export const MAX_LINK_PINS = 1_000
/** Largest socket.io frame the server accepts (`maxHttpBufferSize`): four full attachments plus headroom. */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024
/** Most entries one page of `block.list`, `mute.list` or `request.list` holds. */
export const MAX_SAFETY_PAGE = 500
/** Default number of most recent messages a report carries. */
export const DEFAULT_REPORT_DEPTH = 5

/** Length of the base64 text (with padding) that encodes `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4
}

/** All limits as one object, as sent in the policy manifest. */
export const PROTOCOL_LIMITS = {
  maxTextLength: MAX_TEXT_LENGTH,
  maxAttachments: MAX_ATTACHMENTS,
  maxAttachmentBytes: MAX_ATTACHMENT_BYTES,
  maxCiphertextBytes: MAX_CIPHERTEXT_BYTES,
  maxEnvelopes: MAX_ENVELOPES,
  maxDevicesPerUser: MAX_DEVICES_PER_USER,
  maxPrekeysPerUpload: MAX_PREKEYS_PER_UPLOAD,
  maxHistoryLimit: MAX_HISTORY_LIMIT,
  maxReportEntries: MAX_REPORT_ENTRIES,
  maxFrameBytes: MAX_FRAME_BYTES,
} as const

export type ProtocolLimits = { readonly [K in keyof typeof PROTOCOL_LIMITS]: number }
