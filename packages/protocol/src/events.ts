/**
 * Typed socket.io event maps, declared once. Every client → server event takes a payload and
 * an ack callback answered with {@link AckResponse}; server → client events are one payload.
 * The runtime schema for each event lives in `CLIENT_FRAME_SCHEMAS` / `SERVER_FRAME_SCHEMAS`.
 */
import type * as v from 'valibot'
import type { WireError } from './errors/index.js'
import type * as K from './frames/keys.js'
import type * as M from './frames/messages.js'
import type * as C from './frames/mode.js'
import type * as R from './frames/reports.js'
import type * as L from './frames/link.js'
import type * as S from './frames/session.js'
import type * as Y from './frames/safety.js'
import type * as G from './frames/roster.js'
import type * as B from './frames/blob.js'
import type * as X from './frames/disappearing.js'
import type * as P from './frames/push.js'

/** Every ack: a result or a wire error, never both. */
export type AckResponse<T> = { ok: true; data: T } | { ok: false; error: WireError }
/** The ack callback of a client → server event. */
export type Ack<T> = (response: AckResponse<T>) => void

type In<T extends v.GenericSchema> = v.InferInput<T>
type Out<T extends v.GenericSchema> = v.InferOutput<T>
type Ok = { ok: true }

/** Frames a client sends. Names are `noun.verb`. */
export interface ClientToServerEvents {
  hello: (frame: In<typeof S.HelloSchema>, ack: Ack<Out<typeof S.HelloResultSchema>>) => void
  'hello.challenge': (frame: Record<string, never>, ack: Ack<Out<typeof S.HelloChallengeResultSchema>>) => void
  'device.register': (frame: In<typeof K.DeviceRegisterSchema>, ack: Ack<Ok>) => void
  'keys.publish': (frame: In<typeof K.KeysPublishSchema>, ack: Ack<{ oneTimePreKeys: number; kemOneTimePreKeys: number }>) => void
  'devicelist.publish': (frame: In<typeof K.DeviceListPublishSchema>, ack: Ack<Ok>) => void
  'devicelist.fetch': (frame: In<typeof K.DeviceListFetchSchema>, ack: Ack<Out<typeof K.DeviceListFetchResultSchema>>) => void
  'keys.fetch': (frame: In<typeof K.KeysFetchSchema>, ack: Ack<Out<typeof K.KeyBundleSetSchema>>) => void
  'conversation.open': (frame: In<typeof C.ConversationOpenSchema>, ack: Ack<Out<typeof C.ConversationResultSchema>>) => void
  'conversation.list': (frame: Record<string, never>, ack: Ack<Out<typeof C.ConversationListResultSchema>>) => void
  'conversation.create': (frame: In<typeof G.ConversationCreateSchema>, ack: Ack<Out<typeof C.ConversationResultSchema>>) => void
  'roster.append': (frame: In<typeof G.RosterAppendSchema>, ack: Ack<Out<typeof C.ConversationResultSchema>>) => void
  'roster.fetch': (frame: In<typeof G.RosterFetchSchema>, ack: Ack<Out<typeof G.RosterFetchResultSchema>>) => void
  'mode.upgrade': (frame: In<typeof C.ModeUpgradeSchema>, ack: Ack<Out<typeof C.ConversationResultSchema>>) => void
  'conversation.disappearing': (frame: In<typeof X.DisappearingSetSchema>, ack: Ack<Out<typeof C.ConversationResultSchema>>) => void
  'message.send': (frame: In<typeof M.MessageSendSchema>, ack: Ack<Out<typeof M.SendResultSchema>>) => void
  'message.delete': (frame: In<typeof M.MessageDeleteSchema>, ack: Ack<Ok>) => void
  'inbox.ack': (frame: In<typeof M.InboxAckSchema>, ack: Ack<Ok>) => void
  'inbox.sync': (frame: In<typeof M.InboxSyncSchema>, ack: Ack<Out<typeof M.InboxSyncResultSchema>>) => void
  'receipt.send': (frame: In<typeof M.ReceiptSendSchema>, ack: Ack<Ok>) => void
  'typing.send': (frame: In<typeof M.TypingSendSchema>, ack: Ack<Ok>) => void
  'history.fetch': (frame: In<typeof M.HistoryFetchSchema>, ack: Ack<Out<typeof M.HistoryResultSchema>>) => void
  'report.submit': (frame: In<typeof R.ReportSubmitSchema>, ack: Ack<Out<typeof R.ReportResultSchema>>) => void
  'link.request': (frame: In<typeof L.LinkRequestSchema>, ack: Ack<Ok>) => void
  'link.lookup': (frame: In<typeof L.LinkLookupSchema>, ack: Ack<Out<typeof L.LinkLookupResultSchema>>) => void
  'link.complete': (frame: In<typeof L.LinkCompleteSchema>, ack: Ack<Ok>) => void
  'block.add': (frame: In<typeof Y.BlockUserSchema>, ack: Ack<Out<typeof Y.BlockResultSchema>>) => void
  'block.remove': (frame: In<typeof Y.BlockUserSchema>, ack: Ack<Out<typeof Y.BlockResultSchema>>) => void
  'block.list': (frame: In<typeof Y.BlockListSchema>, ack: Ack<Out<typeof Y.BlockListResultSchema>>) => void
  'mute.set': (frame: In<typeof Y.MuteSetSchema>, ack: Ack<Out<typeof Y.MuteResultSchema>>) => void
  'mute.list': (frame: In<typeof Y.MuteListSchema>, ack: Ack<Out<typeof Y.MuteListResultSchema>>) => void
  'request.list': (frame: In<typeof Y.RequestListSchema>, ack: Ack<Out<typeof Y.RequestListResultSchema>>) => void
  'request.accept': (frame: In<typeof Y.RequestActionSchema>, ack: Ack<Out<typeof Y.RequestResultSchema>>) => void
  'request.decline': (frame: In<typeof Y.RequestActionSchema>, ack: Ack<Out<typeof Y.RequestResultSchema>>) => void
  'blob.put': (frame: In<typeof B.BlobPutSchema>, ack: Ack<Out<typeof B.BlobPutResultSchema>>) => void
  'blob.get': (frame: In<typeof B.BlobGetSchema>, ack: Ack<Out<typeof B.BlobGetResultSchema>>) => void
  'blob.delete': (frame: In<typeof B.BlobDeleteSchema>, ack: Ack<Out<typeof B.BlobDeleteResultSchema>>) => void
  'push.register': (frame: In<typeof P.PushRegisterSchema>, ack: Ack<Out<typeof P.PushRegisterResultSchema>>) => void
  'push.unregister': (frame: In<typeof P.PushUnregisterSchema>, ack: Ack<Out<typeof P.PushUnregisterResultSchema>>) => void
}

/** Frames the server sends. */
export interface ServerToClientEvents {
  manifest: (frame: Out<typeof S.PolicyManifestSchema>) => void
  message: (frame: Out<typeof M.DeliverySchema>) => void
  receipt: (frame: Out<typeof M.ReceiptEventSchema>) => void
  typing: (frame: Out<typeof M.TypingEventSchema>) => void
  mode: (frame: Out<typeof C.ModeEventSchema>) => void
  disappearing: (frame: Out<typeof X.DisappearingEventSchema>) => void
  notice: (frame: Out<typeof C.NoticeSchema>) => void
  conversation: (frame: Out<typeof C.ConversationInfoSchema>) => void
  'message.deleted': (frame: Out<typeof M.MessageDeletedSchema>) => void
  'keys.low': (frame: Out<typeof K.KeysLowSchema>) => void
  'devicelist.changed': (frame: Out<typeof K.DeviceListChangedSchema>) => void
  'link.payload': (frame: Out<typeof L.LinkPayloadSchema>) => void
  goodbye: (frame: Out<typeof S.GoodbyeSchema>) => void
  'block.changed': (frame: Out<typeof Y.BlockChangedSchema>) => void
  'mute.changed': (frame: Out<typeof Y.MuteChangedSchema>) => void
  'request.changed': (frame: Out<typeof Y.RequestChangedSchema>) => void
  error: (frame: WireError) => void
}

/** Events between server nodes (through the adapter). */
export interface InterServerEvents {
  ping: () => void
  /** A moderator closed this conversation on some node: every node refuses sends in it. */
  'parley:conversation-closed': (conversationId: string) => void
  /** A member changed a conversation's disappearing setting on some node: every node's cache takes it. */
  'parley:disappearing': (setting: unknown) => void
}

/** Per-socket data the server keeps after hello. */
export interface SocketData {
  userId: string
  deviceId?: string
  version?: number
}

export type ClientEventName = keyof ClientToServerEvents
export type ServerEventName = keyof ServerToClientEvents
/** The payload type of a client → server event. */
export type ClientFrame<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0]
/** The ack data type of a client → server event. */
export type ClientAckData<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[1] extends Ack<infer T> ? T : never
/** The payload type of a server → client event. */
export type ServerFrame<E extends ServerEventName> = Parameters<ServerToClientEvents[E]>[0]
