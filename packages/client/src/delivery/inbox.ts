/**
 * The inbox: every delivery (live or on catch-up) is processed one at a time, in order,
 * under the crypto lock. A delivery is decrypted (E2EE) or read (server-side), its franking
 * commitment checked, the mode pin enforced, and then the message, the advanced ratchet
 * state and the inbox cursor are written in ONE `saveChanges`; only after that is the cursor
 * acked to the server. Failures are typed, surfaced as `'error'` events, and (for session
 * failures) start a bounded session reset — a delivery is never dropped silently.
 */
import {
  BadFrankingError, BadMacError, DowngradeRejectedError, InvalidFrameError, MemberMismatchError, MessageBlockedError, MessageConflictError, MessageUnavailableError,
  ParleyError, InternalError, toBase64, type Delivery,
} from '@parley/protocol'
import { checkFranking, decryptAttachment, sha256Base64 } from '@parley/crypto'
import { flagEvents, verdictToError } from '@parley/moderation'
import { INBOX_ACK_DELAY_MS, INBOX_BATCH, SYNC_PAGE_SIZE } from '../constants.js'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { Directory } from '../sessions/directory.js'
import type { JsonValue } from '../key-store/key-store.js'
import { messageAt } from '../messages/message-log.js'
import { isExpiredSeq } from '../disappearing/expire-message.js'
import { checkReadable } from '../conversations/readable.js'
import { decodePayload } from './payload.js'
import type { Sessions } from '../sessions/sessions.js'
import { K, type ConversationRecord, type StoredMessage } from '../store-layout.js'
import type { Rosters } from '../groups/rosters.js'
import { applyRosterDelivery, checkRosterHead, type RosterDeliveryDeps } from '../groups/roster-delivery.js'
import { installDeletedDistribution, isSenderKeyChainFailure, openSenderKeyMessage } from '../groups/sender-key-open.js'
import { unstageNonMembers } from '../groups/sender-key-store.js'
import { fileOf } from '../attachments/file-meta.js'
import { checkModeChangeSigner, storeReceived } from './store-received.js'

/** What the inbox needs from the client's conversation registry. */
export interface InboxRegistry {
  ensure(conversationId: string): Promise<Conversation>
  record(conversationId: string): Promise<ConversationRecord | null>
  /** Pins e2ee (with the verified record) and emits `'mode'`; returns the store changes. */
  pinChanges(c: Conversation, modeChange: ConversationRecord['modeChange'], changes: Record<string, JsonValue | null>): Promise<() => void>
}

/** Failures that start the bounded session reset. */
const RESET_CODES = new Set(['missing_session', 'bad_mac', 'too_far_ahead'])

export class Inbox {
  private cursor = 0
  /** The highest inbox id queued for processing (live or caught up). */
  private seen = 0
  private syncing = false
  private catching: Promise<void> | null = null
  private buffered: Delivery[] = []
  private chain: Promise<void> = Promise.resolve()
  private readonly queue: Delivery[] = []
  private draining = false
  private ackTimer: ReturnType<typeof setTimeout> | null = null
  private acked = 0

  constructor(
    private readonly core: ClientCore,
    private readonly directory: Directory,
    private readonly sessions: Sessions,
    private readonly registry: InboxRegistry,
    private readonly rosters?: Rosters,
  ) {}

  /** What a group delivery's roster checks need (groups/roster-delivery.ts). */
  private get groupDeps(): RosterDeliveryDeps {
    return { core: this.core, registry: this.registry, ...(this.rosters ? { rosters: this.rosters } : {}) }
  }

  /** Loads the durable cursor. */
  async load(): Promise<void> {
    this.cursor = (await this.core.store.get<number>(K.cursor)) ?? 0
    this.acked = this.cursor
  }

  /** This device's durable inbox cursor. */
  get position(): number {
    return this.cursor
  }

  /**
   * A live delivery from the socket. Inbox ids are consecutive per device, so a live delivery
   * past the next id means the ones between were lost on the way (socket.io's fan-out is
   * at-most-once: a node killed between commit and fan-out, a Redis outage): catch up from the
   * cursor first, so the cursor never moves over a message this device has not processed.
   */
  onLive(d: Delivery): void {
    if (this.syncing) {
      this.buffered.push(d)
      return
    }
    if (d.inboxId > Math.max(this.cursor, this.seen) + 1) {
      this.buffered.push(d)
      this.syncing = true // buffer what follows until the catch-up below has run
      void this.sync().catch(() => undefined)
      return
    }
    void this.enqueue(d)
  }

  /** Catch-up from the cursor (`inbox.sync` pages) before live deliveries are processed. */
  catchUp(): Promise<void> {
    const run = this.catchUpNow()
    this.catching = run
    const clear = () => {
      if (this.catching === run) this.catching = null
    }
    run.then(clear, clear)
    return run
  }

  private async catchUpNow(): Promise<void> {
    this.syncing = true
    let caughtUp = false
    try {
      for (;;) {
        await this.chain
        const page = await this.core.conn.request('inbox.sync', { after: this.cursor, limit: SYNC_PAGE_SIZE })
        for (const d of page.deliveries) void this.enqueue(d)
        await this.chain
        if (!page.more || page.deliveries.length === 0) break
      }
      caughtUp = true
    } finally {
      this.syncing = false
      const live = this.buffered
      this.buffered = []
      for (const d of live) {
        // A failed catch-up keeps the gap open: a buffered delivery past it is not processed
        // (it is in the store, and the next catch-up or the next gap brings it back).
        if (!caughtUp && d.inboxId > Math.max(this.cursor, this.seen) + 1) break
        void this.enqueue(d)
      }
    }
    await this.chain
  }

  /**
   * Catches up with the server now (`inbox.sync` from the cursor), after any catch-up in
   * progress. An upgrade is pinned after this: the server committed it after every message
   * before it, so those are in this device's inbox and are processed first, in order — an
   * honest readable message sent just before the upgrade is history, not a downgrade.
   */
  sync(): Promise<void> {
    return (this.catching ?? Promise.resolve()).catch(() => undefined).then(() => this.catchUp())
  }

  /**
   * Waits for everything received so far: a catch-up in progress, the live deliveries buffered
   * behind it, and the queue. (A `mode` frame pins only after the deliveries sent before it.)
   */
  async idle(): Promise<void> {
    for (;;) {
      const catching = this.catching
      if (catching) await catching.catch(() => {})
      await this.chain
      if (!this.catching && this.queue.length === 0 && !this.draining) return
    }
  }

  private enqueue(d: Delivery): Promise<void> {
    this.seen = Math.max(this.seen, d.inboxId)
    this.queue.push(d)
    if (!this.draining) {
      this.draining = true
      this.chain = this.drain()
    }
    return this.chain
  }

  /** Processes the queue in batches of up to {@link INBOX_BATCH}, each in one crypto-lock turn. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, INBOX_BATCH)
        await this.core.lock.run(() => this.processBatch(batch)).catch((e) => {
          const first = batch[0]!
          this.core.reportError({ error: ParleyError.isInstance(e) ? e : new InternalError('delivery processing failed'), conversationId: first.conversationId, messageId: first.messageId })
        })
      }
    } finally {
      this.draining = false
    }
  }

  /**
   * Processes deliveries in order and writes them with as few `saveChanges` as their rules
   * allow: each delivery's changes (message, ratchet state) are layered over the batch's, and
   * the batch — with the cursor of its last delivery — is written in one `saveChanges` before
   * any of its events is emitted or its cursor acked. A mode change (or E2EE content in a
   * conversation not yet pinned) is written on its own, so the pin is in place for what
   * follows; a session reset writes everything before it first.
   */
  private async processBatch(batch: Delivery[]): Promise<void> {
    let changes: Record<string, JsonValue | null> = {}
    let after: (() => void)[] = []
    let upTo = this.cursor
    const flush = async () => {
      if (upTo <= this.cursor) return
      changes[K.cursor] = upTo
      const batch = changes
      const rosters = this.rosters
      if (rosters) {
        // Only chains of current members are written (a removal applied while this batch ran dropped the others).
        await rosters.run(async () => {
          await unstageNonMembers(batch, async (id) => (await rosters.pin(id))?.state.members ?? null)
          await this.core.store.saveChanges(batch)
        })
      } else await this.core.store.saveChanges(batch)
      this.cursor = upTo
      const emit = after
      changes = {}
      after = []
      for (const fn of emit) fn()
    }
    for (const d of batch) {
      if (d.inboxId <= upTo) continue
      let conversation: Conversation | undefined
      let alone = d.kind === 'mode_change' || d.kind === 'roster'
      const layer = Object.create(changes) as Record<string, JsonValue | null>
      const own: (() => void)[] = []
      try {
        conversation = await this.registry.ensure(d.conversationId)
        alone ||= d.mode === 'e2ee' && conversation.encryption !== 'e2ee'
        if (alone) {
          await flush()
          Object.setPrototypeOf(layer, changes)
        }
        await this.handle(conversation, d, layer, own)
      } catch (e) {
        const error = ParleyError.isInstance(e) ? e : new InternalError('delivery processing failed')
        let sessionReset = false
        if (RESET_CODES.has(error.code) && !isSenderKeyChainFailure(e)) {
          await flush()
          Object.setPrototypeOf(layer, changes)
          sessionReset = await this.sessions.reset(d.sender)
        }
        own.push(() => {
          const payload = { error, conversationId: d.conversationId, messageId: d.messageId, device: { ...d.sender }, sessionReset }
          if (conversation) conversation._emit('error', payload)
          this.core.events.emit('error', payload)
        })
      }
      Object.assign(changes, layer)
      after.push(...own)
      upTo = d.inboxId
      if (alone) await flush()
    }
    await flush()
    this.scheduleAck()
  }

  private async handle(c: Conversation, d: Delivery, changes: Record<string, JsonValue | null>, after: (() => void)[]): Promise<void> {
    const self = this.core.self()
    const key = K.message(d.conversationId, d.seq)
    const existing = key in changes ? (changes[key] as unknown as StoredMessage | null) : await messageAt(this.core.store, d.conversationId, d.seq)
    if (existing && existing.id === d.messageId) return // duplicate delivery: at-least-once
    // The log is append-only per seq: a stored message (a report's evidence) is never replaced.
    if (existing) throw new MessageConflictError('a different message arrived at a sequence number this device already holds; the stored one is kept', { conversationId: c.id, seq: d.seq })
    // A roster record proves its own authority (signature, admin); the member check is for content.
    if (d.kind === 'roster') return applyRosterDelivery(this.groupDeps, c, d, changes, after)
    // Content only: a roster or mode change is never dropped by a (carried) tombstone range.
    if (d.kind !== 'mode_change' && (await isExpiredSeq(this.core.store, d.conversationId, d.seq))) return // expired here: never back (decision 0023)
    if (!c.members.includes(d.sender.userId)) {
      throw new MemberMismatchError('a delivery from a user who is not a member of this conversation was refused', { conversationId: c.id, userId: d.sender.userId })
    }
    if (d.kind === 'mode_change') {
      const mc = d.modeChange
      if (!mc || mc.conversationId !== d.conversationId) throw new InvalidFrameError('mode_change delivery without a matching ModeChange')
      await checkModeChangeSigner(this.directory, mc, c)
      after.push(await this.registry.pinChanges(c, mc, changes))
      return
    }
    // Deleted for everyone before it reached this device: nothing left to show or verify. Said
    // as an event, never skipped silently: its author's signed tombstone should follow. A group's
    // keeps this device's sender-key distribution: installed first, for the sender's later messages.
    if (d.deleted && !d.body && !d.senderKey && (!d.envelope || c.kind === 'group')) {
      if (d.envelope) await installDeletedDistribution(this.core, this.sessions, this.directory, c.kind, d, changes)
      throw new MessageUnavailableError('the server delivered a message marked deleted, with no content', { conversationId: c.id, messageId: d.messageId, seq: d.seq })
    }
    if (d.mode === 'server-side') {
      // Pinned E2EE (by this device, a verified signed ModeChange, or first sight): no readable
      // frame is accepted, whatever seq the server gives it. Readable history from before the
      // pin is what the local log already holds (returned above as a duplicate).
      const { body } = checkReadable(c, d)
      await checkRosterHead(this.groupDeps, c, d, body.roster, changes, after)
      await storeReceived({ core: this.core, directory: this.directory }, c, d, changes, after, {
        text: body.text, attachments: body.attachments.map((a) => ({ ...a })), nf: body.nf, outgoing: d.sender.userId === self.userId, ref: body.ref, sig: body.sig, timer: body.timer,
      })
      return
    }
    // e2ee
    if (d.sender.userId === self.userId && d.sender.deviceId === self.deviceId) {
      throw new InvalidFrameError('an end-to-end encrypted delivery claims to come from this device')
    }
    if ((!d.envelope && !d.senderKey) || !d.franking) throw new InvalidFrameError('e2ee delivery without envelope or franking')
    if (d.senderKey && c.kind !== 'group') throw new InvalidFrameError('a sender-key delivery outside a group')
    // The sender was checked against the verified roster above; only then is its chain used.
    const plaintext = d.senderKey ? await openSenderKeyMessage(this.core, this.sessions, this.directory, d, changes) : await this.sessions.decrypt(d.sender, d.conversationId, d.envelope!, changes)
    const payload = decodePayload(plaintext)
    await checkRosterHead(this.groupDeps, c, d, payload.roster, changes, after)
    const metas = payload.attachments.map(({ id: _i, key: _k, ...m }) => m)
    if (!checkFranking({ text: payload.text, attachments: metas, ref: payload.ref, timer: payload.timer }, payload.nf, d.franking.tf)) throw new BadFrankingError()
    const attachments = payload.attachments.map((a, index) => {
      const blob = d.attachments?.find((x) => x.id === a.id)
      // Messages name the attachment by position, never by its (end-to-end encrypted) name.
      if (!blob) throw new BadMacError(`attachment ${index + 1} of ${payload.attachments.length} is missing from the delivery`)
      const data = decryptAttachment(a.key, blob.ciphertext)
      if (a.file ? data.length !== 0 : sha256Base64(data) !== a.sha256) throw new BadMacError(`attachment ${index + 1} of ${payload.attachments.length} does not match its hash`)
      return { name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, ...fileOf(a), data: toBase64(data) }
    })
    if (c.encryption !== 'e2ee') {
      // E2EE content in a conversation we hold as server-side: the mode change was withheld.
      let mc = payload.mc
      if (mc && (mc.conversationId !== c.id || !(await checkModeChangeSigner(this.directory, mc, c).then(() => true, () => false)))) mc = undefined
      after.push(await this.registry.pinChanges(c, mc, changes))
      after.push(() => {
        const payloadErr = {
          error: new DowngradeRejectedError('the server did not deliver this conversation\'s upgrade to end-to-end encryption; it is now pinned to E2EE', { conversationId: c.id }),
          conversationId: c.id, messageId: d.messageId,
        }
        c._emit('error', payloadErr)
        this.core.events.emit('error', payloadErr)
      })
    }
    const manifest = this.core.manifest()
    const verdict = await this.core.pipeline.checkIncoming(
      { conversationId: c.id, sender: { ...d.sender }, text: payload.text, attachments: metas },
      { where: 'client', policy: manifest?.policy ?? 'default-e2ee', mode: 'e2ee', now: this.core.now() },
    )
    const blocked = verdictToError(verdict)
    if (blocked) throw new MessageBlockedError(blocked.message, blocked.details)
    const flagged = verdict.action === 'flag' ? { plugin: verdict.plugin, reason: verdict.reason } : undefined
    await storeReceived({ core: this.core, directory: this.directory }, c, d, changes, after, { text: payload.text, attachments, nf: payload.nf, outgoing: d.sender.userId === self.userId, cmid: payload.cmid, flagged, ref: payload.ref, sig: payload.sig, timer: payload.timer })
    if (verdict.flags.length) {
      const events = flagEvents(verdict, { hook: 'checkIncoming', where: 'client', conversationId: c.id, sender: d.sender, messageId: d.messageId })
      after.push(() => this.core.flag(events))
    }
  }

  private scheduleAck(): void {
    if (this.ackTimer || this.cursor <= this.acked) return
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null
      const upTo = this.cursor
      if (upTo <= this.acked || !this.core.conn.connected) return
      this.core.conn.request('inbox.ack', { upTo }).then(
        () => {
          this.acked = Math.max(this.acked, upTo)
          if (this.cursor > this.acked) this.scheduleAck()
        },
        () => {}, // acked again after the next delivery or reconnect
      )
    }, INBOX_ACK_DELAY_MS)
  }

  /** Cancels the pending ack timer (close). */
  stop(): void {
    if (this.ackTimer) clearTimeout(this.ackTimer)
    this.ackTimer = null
  }

  /** Re-arms acking after a reconnect. */
  resetAcked(serverCursor: number): void {
    this.acked = serverCursor
    this.scheduleAck()
  }
}
