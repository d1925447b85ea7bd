/**
 * `@parley/client`: the Parley SDK for browsers and Node. Open a conversation, send, receive,
 * upgrade to end-to-end encryption, verify safety numbers and report — in whatever mode the
 * server's policy sets, always showing the real one.
 *
 * @example
 * import { createParleyClient, memoryKeyStore } from '@parley/client'
 * const client = await createParleyClient({ url: 'http://localhost:3000', token, keyStore: memoryKeyStore() })
 * const convo = await client.conversations.open('bob')
 * convo.on('message', (m) => console.log(m.text))
 * await convo.send({ text: 'hi' })
 *
 * @packageDocumentation
 */
export { createParleyClient, ParleyClient, type ParleyClientOptions, type Conversations } from './create-client.js'
export { Conversation, type HistoryOptions, type HistoryPage, type ReportOptions } from './conversations/conversation.js'
export { requestDeviceLink, type DeviceLinkRequest, type LinkDeviceOptions } from './sessions/device-link.js'
export { Backup, BACKUP_SLOT, type BackupStatus, type BackupEnableOptions } from './backup/backup.js'
export { restoreFromBackup, type RestoreOptions } from './backup/restore.js'
export { CHUNK_ATTEMPTS, type TransferProgress } from './backup/blob-transfer.js'
export { SNAPSHOT_PREFIXES, MAX_SNAPSHOT_RECORDS } from './backup/snapshot.js'
export type { PushTokenInput, PushTokenResult, WebPushSubscriptionInput } from './push/push-tokens.js'
export type { Users, BlockedUser } from './safety/users.js'
export type { Requests, MessageRequest } from './safety/requests.js'
export { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_LENGTH, type SearchOptions, type SearchResult } from './search/local-search.js'
export { NOTICE_MESSAGES, noticeMessage, noticeText, type NoticeCatalogue, type NoticeMessageKey, type NoticeTextOptions } from './conversations/notices.js'
export type {
  Attachment, OutgoingAttachment, SendInput, SendProgress, Message, ModeEventPayload, TypingPayload, ErrorPayload, ConversationEvents,
  ClientEvents, SafetyNumber, BlockEventPayload, MuteEventPayload, RequestEventPayload, MembersEventPayload,
} from './types.js'
export type { SocketClientOptions } from './connection.js'
export type { CreateGroupInput } from './groups/group-ops.js'
export type { GroupProtocol } from './groups/group-protocol.js'
export { ROSTER_FETCH_PAGE } from './groups/rosters.js'
export { MAX_SENDER_KEY_CHAINS_PER_DEVICE } from './groups/sender-key-store.js'
export type { PreKeyRotationOptions } from './sessions/prekey-rotation.js'
export { MAX_SWEEP_WAIT_MS } from './disappearing/timers.js'
export { MAX_TOMBSTONES_PER_CONVERSATION } from './disappearing/tombstones.js'
export type { DisappearingEventPayload, ExpiredEventPayload } from './disappearing/types.js'
export { resetIdentity, type ResetIdentityOptions } from './recovery/reset-identity.js'
export { DEFAULT_EDIT_WINDOW_MS, MAX_EDIT_WINDOW_MS, type MessageAction } from './messages/actions.js'
export { isEmoji } from './messages/emoji.js'
export { MAX_PENDING_RECEIPTS, MAX_RECEIPT_EVENT_IDS } from './receipts/apply-receipt.js'
export type { Receipt, MemberReceipt, UnreadEventPayload } from './receipts/types.js'
export * from './constants.js'
export * from './key-store/key-store.js'
export { memoryKeyStore } from './key-store/memory.js'
export { indexedDbKeyStore, INDEXEDDB_OBJECT_STORE, INDEXEDDB_VERSION, type IndexedDbKeyStoreOptions } from './key-store/indexeddb.js'
export { Attachments, type UploadedAttachment } from './attachments/api.js'
export { UPLOAD_SEGMENT_BYTES, MAX_TRANSFER_ATTEMPTS, type AttachmentProgress, type UploadOptions } from './attachments/upload.js'
export { WORKER_SEAL_MIN_BYTES } from './attachments/seal-worker.js'
export type { DownloadOptions } from './attachments/download.js'
export { SOURCE_PIECE_BYTES, type AttachmentSource } from './attachments/source.js'
