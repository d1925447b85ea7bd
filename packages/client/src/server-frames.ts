/**
 * The server's frames (docs/protocol.md, "Server → client"), each handed to the part of the
 * client that owns it: deliveries to the inbox, conversation and mode changes to the registry,
 * notices checked before anyone sees them, key and device-list hints to their keepers. Nothing
 * here trusts a frame beyond what its receiver verifies; the socket's own lifecycle (connect,
 * disconnect, handshake refusals) stays with the client (create-client.ts).
 */
import { errorFromWire, type ParleyError, type PolicyManifest } from '@parley/protocol'
import type { Connection } from './connection.js'
import type { ClientCore } from './core.js'
import { checkNotice } from './conversations/notice-check.js'
import type { ConversationRegistry } from './conversations/registry.js'
import type { Inbox } from './delivery/inbox.js'
import type { Emitter } from './emitter.js'
import type { Directory } from './sessions/directory.js'
import type { PreKeyUpkeep } from './sessions/prekey-upkeep.js'
import type { ClientEvents, ErrorPayload } from './types.js'
import { isTransient } from './util.js'

/** Where the server's frames go. */
export interface ServerFrameTargets {
  core: ClientCore
  emitter: Emitter<ClientEvents>
  inbox: Inbox
  registry: ConversationRegistry
  directory: Directory
  preKeys: PreKeyUpkeep
  /** The server's policy manifest of this connection (null before hello). */
  manifest(): PolicyManifest | null
  reportError(p: ErrorPayload): void
}

/** Registers a handler for every server frame on `conn`. */
export function handleServerFrames(conn: Connection, to: ServerFrameTargets): void {
  conn.handle('message', (d) => to.inbox.onLive(d))
  // Only a hint: the message is hidden on its author's signed tombstone, which catch-up brings (docs/messages.md).
  conn.handle('message.deleted', () => void to.inbox.sync().catch(() => {}))
  // The server's unsigned live `receipt` relay is not believed: receipts are signed messages (receipts/).
  conn.handle('typing', (t) => to.registry.get(t.conversationId)?._emit('typing', t))
  conn.handle('notice', (n) => {
    const convo = n.conversationId ? to.registry.get(n.conversationId) : undefined
    try {
      checkNotice(n, convo?.members)
    } catch (e) {
      to.reportError({ error: e as ParleyError, conversationId: n.conversationId })
      return
    }
    convo?._emit('notice', n)
    to.emitter.emit('notice', n)
    // The policy moved: `upgradeRequired` (and maybe the mode) of cached conversations changed.
    if ((n.kind === 'upgrade_required' || n.kind === 'policy_changed') && to.registry.size > 0) {
      to.registry.refresh().catch((e) => {
        if (!isTransient(e)) to.reportError({ error: e })
      })
    }
  })
  conn.handle('conversation', (info) => {
    // A peer opened it: their first message will need their device list; fetch it now. Not
    // for a group: a prefetch claims one-time prekeys, and every member device prefetching
    // every member would spend members × devices of them (and their refills) at once.
    if (info.kind !== 'group') for (const member of info.members) to.directory.prefetch(member)
    void to.registry.applyInfo(info).then(async (c) => {
      // minimumMode 'e2ee': upgrade a peer-opened server-side conversation at once, so the
      // peer's next messages are encrypted rather than refused here.
      if (c.upgradeRequired && to.core.minimumMode() === 'e2ee' && to.manifest()?.policy !== 'server-side') await to.registry.upgrade(c)
    }).catch((e) => to.reportError({ error: e, conversationId: info.id }))
  })
  // A `mode` frame pins after the deliveries committed before the upgrade: the inbox catches
  // up first, so readable messages sent ahead of it are processed (as history) before the pin
  // refuses readable frames.
  conn.handle('mode', (m) => void to.registry.catchUp().catch(() => undefined).then(() => to.registry.onModeEvent(m)).catch((e) => to.reportError({ error: e, conversationId: m.conversationId })))
  conn.handle('keys.low', (low) => to.preKeys.onLow(low))
  conn.handle('devicelist.changed', (c) => to.directory.markStale(c.userId))
  conn.handle('error', (w) => to.reportError({ error: errorFromWire(w) }))
}
