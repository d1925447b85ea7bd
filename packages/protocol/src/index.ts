/**
 * `@parley/protocol`: the Parley wire protocol. Typed socket.io event maps, a runtime schema
 * for every frame, size limits, version negotiation, the encryption-mode state machine, the
 * moderation contract and the typed error classes.
 *
 * @example
 * import { parseClientFrame, MessageBlockedError } from '@parley/protocol'
 * const frame = parseClientFrame('message.send', untrusted) // throws InvalidFrameError
 *
 * @packageDocumentation
 */
export * from './errors/index.js'
export * from './version.js'
export * from './limits.js'
export * from './limits-backup.js'
export * from './base64.js'
export * from './unicode.js'
export * from './policy.js'
export * from './events.js'
export * from './schemas.js'
export * from './validate.js'
export { checkBounds } from './bounds.js'
export * from './manifest.js'
export * from './moderation-contract.js'
export * from './frames/common.js'
export * from './frames/keys.js'
export * from './frames/messages.js'
export * from './frames/message-ref.js'
export * from './frames/mode.js'
export * from './frames/reports.js'
export * from './frames/link.js'
export * from './frames/session.js'
export * from './frames/safety.js'
export * from './frames/roster.js'
export * from './frames/sender-key.js'
export * from './frames/blob.js'
export * from './frames/attachments.js'
export * from './frames/disappearing.js'
export * from './frames/push.js'
