/**
 * The runtime schema of every frame, by event name, in both directions. The server validates
 * `CLIENT_FRAME_SCHEMAS`; the client validates `SERVER_FRAME_SCHEMAS`. A type test pins the
 * keys to the event maps.
 */
import * as v from 'valibot'
import type { ClientEventName, ServerEventName } from './events.js'
import { EmptySchema, text } from './frames/common.js'
import * as K from './frames/keys.js'
import * as M from './frames/messages.js'
import * as C from './frames/mode.js'
import * as R from './frames/reports.js'
import * as L from './frames/link.js'
import * as S from './frames/session.js'
import * as Y from './frames/safety.js'
import * as G from './frames/roster.js'
import * as B from './frames/blob.js'
import * as X from './frames/disappearing.js'
import * as P from './frames/push.js'
import { ERROR_CODES } from './errors/index.js'

/** Inbound schemas on the server, one per client → server event. */
export const CLIENT_FRAME_SCHEMAS = {
  hello: S.HelloSchema,
  'hello.challenge': S.HelloChallengeSchema,
  'device.register': K.DeviceRegisterSchema,
  'keys.publish': K.KeysPublishSchema,
  'devicelist.publish': K.DeviceListPublishSchema,
  'devicelist.fetch': K.DeviceListFetchSchema,
  'keys.fetch': K.KeysFetchSchema,
  'conversation.open': C.ConversationOpenSchema,
  'conversation.list': EmptySchema,
  'conversation.create': G.ConversationCreateSchema,
  'roster.append': G.RosterAppendSchema,
  'roster.fetch': G.RosterFetchSchema,
  'mode.upgrade': C.ModeUpgradeSchema,
  'conversation.disappearing': X.DisappearingSetSchema,
  'message.send': M.MessageSendSchema,
  'message.delete': M.MessageDeleteSchema,
  'inbox.ack': M.InboxAckSchema,
  'inbox.sync': M.InboxSyncSchema,
  'receipt.send': M.ReceiptSendSchema,
  'typing.send': M.TypingSendSchema,
  'history.fetch': M.HistoryFetchSchema,
  'report.submit': R.ReportSubmitSchema,
  'link.request': L.LinkRequestSchema,
  'link.lookup': L.LinkLookupSchema,
  'link.complete': L.LinkCompleteSchema,
  'block.add': Y.BlockUserSchema,
  'block.remove': Y.BlockUserSchema,
  'block.list': Y.BlockListSchema,
  'mute.set': Y.MuteSetSchema,
  'mute.list': Y.MuteListSchema,
  'request.list': Y.RequestListSchema,
  'request.accept': Y.RequestActionSchema,
  'request.decline': Y.RequestActionSchema,
  'blob.put': B.BlobPutSchema,
  'blob.get': B.BlobGetSchema,
  'blob.delete': B.BlobDeleteSchema,
  'push.register': P.PushRegisterSchema,
  'push.unregister': P.PushUnregisterSchema,
} as const satisfies Record<ClientEventName, v.GenericSchema>

/** The wire error schema (server → client `error` event and every failed ack). */
export const WireErrorSchema = v.strictObject({
  code: v.pipe(v.string(), v.maxLength(64)),
  message: text(1_000),
  details: v.optional(v.record(v.pipe(v.string(), v.maxLength(64)), v.unknown())),
})

/** Inbound schemas on the client, one per server → client event. */
export const SERVER_FRAME_SCHEMAS = {
  manifest: S.PolicyManifestSchema,
  message: M.DeliverySchema,
  receipt: M.ReceiptEventSchema,
  typing: M.TypingEventSchema,
  mode: C.ModeEventSchema,
  disappearing: X.DisappearingEventSchema,
  notice: C.NoticeSchema,
  conversation: C.ConversationInfoSchema,
  'message.deleted': M.MessageDeletedSchema,
  'keys.low': K.KeysLowSchema,
  'devicelist.changed': K.DeviceListChangedSchema,
  'link.payload': L.LinkPayloadSchema,
  goodbye: S.GoodbyeSchema,
  'block.changed': Y.BlockChangedSchema,
  'mute.changed': Y.MuteChangedSchema,
  'request.changed': Y.RequestChangedSchema,
  error: WireErrorSchema,
} as const satisfies Record<ServerEventName, v.GenericSchema>

/** Schemas of the ack data the client receives, per client → server event. */
export const ACK_SCHEMAS = {
  hello: S.HelloResultSchema,
  'hello.challenge': S.HelloChallengeResultSchema,
  'device.register': v.strictObject({ ok: v.literal(true) }),
  'keys.publish': v.strictObject({ oneTimePreKeys: v.number(), kemOneTimePreKeys: v.number() }),
  'devicelist.publish': v.strictObject({ ok: v.literal(true) }),
  'devicelist.fetch': K.DeviceListFetchResultSchema,
  'keys.fetch': K.KeyBundleSetSchema,
  'conversation.open': C.ConversationResultSchema,
  'conversation.list': C.ConversationListResultSchema,
  'conversation.create': C.ConversationResultSchema,
  'roster.append': C.ConversationResultSchema,
  'roster.fetch': G.RosterFetchResultSchema,
  'mode.upgrade': C.ConversationResultSchema,
  'conversation.disappearing': C.ConversationResultSchema,
  'message.send': M.SendResultSchema,
  'message.delete': v.strictObject({ ok: v.literal(true) }),
  'inbox.ack': v.strictObject({ ok: v.literal(true) }),
  'inbox.sync': M.InboxSyncResultSchema,
  'receipt.send': v.strictObject({ ok: v.literal(true) }),
  'typing.send': v.strictObject({ ok: v.literal(true) }),
  'history.fetch': M.HistoryResultSchema,
  'report.submit': R.ReportResultSchema,
  'link.request': v.strictObject({ ok: v.literal(true) }),
  'link.lookup': L.LinkLookupResultSchema,
  'link.complete': v.strictObject({ ok: v.literal(true) }),
  'block.add': Y.BlockResultSchema,
  'block.remove': Y.BlockResultSchema,
  'block.list': Y.BlockListResultSchema,
  'mute.set': Y.MuteResultSchema,
  'mute.list': Y.MuteListResultSchema,
  'request.list': Y.RequestListResultSchema,
  'request.accept': Y.RequestResultSchema,
  'request.decline': Y.RequestResultSchema,
  'blob.put': B.BlobPutResultSchema,
  'blob.get': B.BlobGetResultSchema,
  'blob.delete': B.BlobDeleteResultSchema,
  'push.register': P.PushRegisterResultSchema,
  'push.unregister': P.PushUnregisterResultSchema,
} as const satisfies Record<ClientEventName, v.GenericSchema>

/** Known error codes, for docs and tests. */
export const WIRE_ERROR_CODES = ERROR_CODES
