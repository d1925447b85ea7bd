/**
 * `@parley/server`: the Parley socket.io server — auth hook, key directory, conversations,
 * store-and-forward with group commit, multi-device fan-out, encryption policy, moderation
 * pipeline, verified reports, and storage on memory, PGlite or PostgreSQL.
 *
 * @example
 * import { createParleyServer, pgliteStore } from '@parley/server'
 * const parley = createParleyServer({
 *   httpServer,
 *   policy: 'optional-e2ee',
 *   store: pgliteStore({ dataDir: './.parley-data' }),
 *   authenticate: async (handshake) => ({ userId: await checkToken(handshake.auth.token) }),
 * })
 * await parley.ready
 *
 * @packageDocumentation
 */
export { createParleyServer, type ParleyServer } from './create-server.js'
export * from './options.js'
export { attachRedisAdapter } from './redis.js'
export { parleyParser, OTHER_PACKET_NODE_BUDGET } from './transport/frame-decoder.js'
export { CLIENT_FRAME_NODE_BUDGETS, UNKNOWN_EVENT_NODE_BUDGET } from './transport/node-budget.js'
export { GroupCommitter } from './group-commit.js'
export { memoryStore } from './store/memory-store.js'
export { pgliteStore, pgliteDriver, PGLITE_SHARED_BUFFERS_MB, WAL_SEGMENTS_SYNCED, type PgliteStoreOptions } from './store/pglite-store.js'
export { postgresStore, postgresDriver, DEFAULT_POOL_SIZE, type PostgresStoreOptions } from './store/postgres-store.js'
export { sqlStore } from './store/sql-store.js'
export { migrate, MAX_TRANSACTION_ATTEMPTS, type SqlDriver, type SqlExecutor } from './store/sql-driver.js'
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './store/migrations.js'
export type * from './store/store.js'
export {
  DEFAULT_MODERATOR, MAX_MODERATION_PAGE, MAX_MODERATION_TEXT, type ModerationApi, type ModerationReason,
} from './moderation/api.js'
export {
  MAX_DISCLOSED_MESSAGES, type DisclosureApi, type DisclosureScope, type DisclosureExport, type DisclosedConversation, type DisclosedMessage, type DisclosedSafety,
} from './moderation/disclosure.js'
export type * from './store/moderation-store.js'
export type * from './store/safety-store.js'
export { MAX_PAIR_BATCH, CONCURRENT_PAIR_READS } from './safety/pair-reader.js'
export { MAX_RESET_REASON_LENGTH, type IdentityResetOptions, type IdentityResetResult } from './recovery/reset-identity.js'
export { RESET_TICKET_TTL_MS } from './recovery/reset-ticket.js'
export type { ResetTicketRecord, ResetTicketStore } from './store/reset-ticket-store.js'
export { webPushSender, isPushServiceEndpoint, DEFAULT_PUSH_SERVICE_HOSTS, DEFAULT_WEB_PUSH_TTL_SECONDS, WEB_PUSH_TIMEOUT_MS, MAX_WEB_PUSH_PAYLOAD_BYTES, type VapidKeys, type WebPushSenderOptions } from './push/web-push-sender.js'
export { defaultPushPayload, PUSH_PAYLOAD_VERSION, type PushPayload } from './push/payload.js'
export { DEFAULT_PUSH_COALESCE_MS, MAX_PUSH_COALESCE_MS, PUSH_HOOK_TIMEOUT_MS, MAX_PUSH_PREVIEW_LENGTH, MAX_PENDING_PUSHES, type OfflineDelivery, type OnOfflineDelivery, type PushHookContext, type PushPreview } from './push/types.js'
export type * from './store/push-store.js'
export { fileAttachmentStore, ATTACHMENT_READ_BYTES, type FileAttachmentStoreOptions } from './attachments/attachment-fs.js'
export { memoryAttachmentStore } from './attachments/attachment-memory.js'
export { STALE_ATTACHMENT_UPLOAD_MS, type AttachmentStore, type AttachmentRecord, type AttachmentWriter, type AttachmentLink } from './attachments/attachment-store.js'
export { ATTACHMENT_SQL_CHUNK_BYTES, ATTACHMENT_SQL_READ_ROWS } from './attachments/attachment-sql.js'
export type { AttachmentOptions } from './attachments/options.js'
export { ATTACHMENT_SEND_GRACE_MS } from './attachments/mount.js'
export { MAX_CREATE_BODY_BYTES as MAX_ATTACHMENT_CREATE_BODY_BYTES } from './attachments/routes.js'
