/** The handler table: every client → server event, exactly once (the type enforces it). */
import * as C from './conversations.js'
import * as G from './groups.js'
import * as D from './device-lists.js'
import * as K from './keys.js'
import * as M from './messages.js'
import * as R from './reports.js'
import * as S from './session.js'
import * as Y from './safety.js'
import * as B from './blobs.js'
import * as X from './disappearing.js'
import * as P from './push.js'
import type { HandlerTable } from './types.js'

export const HANDLERS: HandlerTable = {
  hello: S.hello,
  'hello.challenge': S.helloChallenge,
  'device.register': S.deviceRegister,
  'link.request': S.linkRequest,
  'link.lookup': S.linkLookup,
  'link.complete': S.linkComplete,
  'keys.publish': K.keysPublish,
  'devicelist.publish': K.deviceListPublish,
  'devicelist.fetch': D.deviceListFetch,
  'keys.fetch': K.keysFetch,
  'conversation.open': C.conversationOpen,
  'conversation.list': C.conversationList,
  'conversation.create': G.conversationCreate,
  'roster.append': G.rosterAppend,
  'roster.fetch': G.rosterFetch,
  'mode.upgrade': C.modeUpgrade,
  'conversation.disappearing': X.conversationDisappearing,
  'message.send': M.messageSend,
  'message.delete': M.messageDelete,
  'inbox.ack': M.inboxAck,
  'inbox.sync': M.inboxSync,
  'receipt.send': M.receiptSend,
  'typing.send': M.typingSend,
  'history.fetch': M.historyFetch,
  'report.submit': R.reportSubmit,
  'block.add': Y.blockAdd,
  'block.remove': Y.blockRemove,
  'block.list': Y.blockList,
  'mute.set': Y.muteSet,
  'mute.list': Y.muteList,
  'request.list': Y.requestList,
  'request.accept': Y.requestAccept,
  'request.decline': Y.requestDecline,
  'blob.put': B.blobPut,
  'blob.get': B.blobGet,
  'blob.delete': B.blobDelete,
  'push.register': P.pushRegister,
  'push.unregister': P.pushUnregister,
}
