/**
 * The outbox: sends survive disconnects and restarts. A send is stored first (plaintext,
 * locally), then built once — franked, and for E2EE encrypted per device with the advanced
 * ratchet states written in the SAME `saveChanges` as the built frame — and only then
 * emitted. Resends reuse the stored frame and `clientMessageId`, so the server stores the
 * message once and no ratchet step is ever spent twice. Building is frame-builder.ts's; what an
 * ack stores and emits is acked.ts's; this file owns the queue, the window and the retries.
 */
import {
  ConnectionError, DowngradeRejectedError, InvalidDeviceListError, MessageBlockedError, MessageConflictError, MessagingDeniedError, ParleyError, PeerBlockedError, PolicyViolationError, RateLimitedError, StoreError,
  type AttachmentMeta, type MessageRef, type SendResult,
} from '@parley/protocol'
import { pinnedTimer, timerField } from '../disappearing/message-timer.js'
import { flagEvents, type PipelineVerdict } from '@parley/moderation'
import { ACK_TIMEOUT_MS, MAX_IN_FLIGHT, OUTBOX_BATCH, STORE_RETRY_MS } from '../constants.js'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { Directory } from '../sessions/directory.js'
import type { JsonValue } from '../key-store/key-store.js'
import { messageAt } from '../messages/message-log.js'
import type { Sessions } from '../sessions/sessions.js'
import { K, json, type ConversationRecord, type OutboxEntry } from '../store-layout.js'
import type { Message, SendInput } from '../types.js'
import { isTransient, randomId } from '../util.js'
import { attachmentMetas, checkSendInput, entryAttachments } from './send-input.js'
import type { GroupProtocol } from '../groups/group-protocol.js'
import { FrameBuilder, type Built } from './frame-builder.js'
import { emitAcked, storedFromAck } from './acked.js'
import { senderKeys } from '../groups/sender-keys.js'
import { isAction, type Applied } from '../messages/apply-action.js'
import { receiveMessage } from '../messages/receive.js'
import { replyRef } from '../messages/actions.js'

/** What the outbox needs from the client's conversation registry. */
export interface OutboxRegistry {
  ensure(conversationId: string): Promise<Conversation>
  record(conversationId: string): Promise<ConversationRecord | null>
  /** Pins e2ee after the server refused a readable frame. */
  pinRefused(c: Conversation): Promise<void>
  upgrade(c: Conversation): Promise<void>
  /** Re-reads every conversation from the server (`upgradeRequired` may have changed). */
  refresh(): Promise<void>
}

export class Outbox {
  /** The queued entries, in key (send) order: a mirror of the store's `outbox/` records. */
  private readonly entries = new Map<string, OutboxEntry>()
  private readonly waiters = new Map<string, { resolve(r: SendResult): void; reject(e: unknown): void }>()
  private readonly inFlight = new Map<string, number>()
  private attempt = 0
  private pumping: Promise<void> | null = null
  private again = false
  private lastCreatedAt = 0
  /** Sends refused with `policy_violation` as readable frames once (retried via an upgrade). */
  private readonly policyRetried = new Set<string>()
  /** Flags of local checks that ran at build time (raised with the server's message id on ack). */
  private readonly lateFlags = new Map<string, PipelineVerdict>()
  /** How E2EE group messages are encrypted (docs/groups.md). */
  private readonly groups: GroupProtocol
  /** Builds the frames (frame-builder.ts). */
  private readonly build: FrameBuilder

  constructor(
    private readonly core: ClientCore,
    private readonly directory: Directory,
    sessions: Sessions,
    private readonly registry: OutboxRegistry,
  ) {
    this.groups = senderKeys(core, sessions, directory)
    this.build = new FrameBuilder({ core, directory, sessions, groups: this.groups, registry, put: (e) => this.put(e) })
  }

  /** Checks an E2EE send before anything is stored; returns the (non-blocking) verdict. */
  preflightE2ee(c: Conversation, input: { text: string; attachments: AttachmentMeta[] }): Promise<PipelineVerdict> {
    return this.build.preflight(c, input)
  }

  /**
   * Queues a message; resolves with the server's ack. `ref` (from messages/actions.ts, which
   * checked it) makes it an edit, tombstone or reaction; a reply comes as `input.replyTo`.
   */
  async enqueue(c: Conversation, input: SendInput, action?: MessageRef): Promise<SendResult> {
    if (!action) checkSendInput(input)
    const ref = action ?? (input.replyTo !== undefined ? await replyRef(this.core.store, c, input.replyTo) : undefined)
    const attachments = entryAttachments(input.attachments)
    const metas = attachmentMetas(attachments)
    let verdict: PipelineVerdict | undefined
    if (c.encryption === 'e2ee' || c.upgradeRequired) {
      verdict = await this.preflightE2ee(c, { text: input.text, attachments: metas })
    }
    const self = this.core.self()
    const createdAt = (this.lastCreatedAt = Math.max(this.core.now(), this.lastCreatedAt + 1))
    const clientMessageId = randomId('m-')
    const entry: OutboxEntry = { key: K.outbox(createdAt, clientMessageId), clientMessageId, conversationId: c.id, createdAt, text: input.text, attachments }
    if (!verdict) entry.unchecked = true
    if (ref) entry.ref = ref
    Object.assign(entry, timerField(await pinnedTimer(this.core.store, c.id))) // the sender's timer, franked (decision 0023)
    await this.core.store.set(entry.key, json(entry))
    this.put(entry)
    const result = new Promise<SendResult>((resolve, reject) => this.waiters.set(clientMessageId, { resolve, reject }))
    if (verdict?.flags.length) {
      // Like the server, flags are raised once the message is stored (so they carry its id).
      const flagged = verdict
      result.then(
        (ack) => this.core.flag(flagEvents(flagged, { hook: 'checkOutgoing', where: 'client', conversationId: c.id, sender: { userId: self.userId, deviceId: self.deviceId }, messageId: ack.messageId })),
        () => {},
      )
    }
    const optimistic: Message = {
      id: clientMessageId, clientMessageId, conversationId: c.id, ts: createdAt, sender: { userId: self.userId, deviceId: self.deviceId },
      outgoing: true, text: input.text, encryption: c.encryption, status: 'pending',
      attachments: (input.attachments ?? []).map((a, i) => ({ ...metas[i]!, data: a.data as Uint8Array })),
      reactions: {},
    }
    if (ref?.kind === 'reply') optimistic.replyTo = ref.messageId
    // An action shows as a change of its target once acked ('update'), never as a message.
    if (!ref || !isAction({ ref })) {
      c._emit('message', optimistic)
      this.core.events.emit('message', optimistic)
    }
    this.kick()
    return result
  }

  /** Loads the queue left by a previous run (start-up, before any send). */
  async load(): Promise<void> {
    for (const key of await this.core.store.keys(K.outboxPrefix)) {
      const entry = (await this.core.store.get<JsonValue>(key)) as OutboxEntry | null
      if (!entry) continue
      this.entries.set(key, entry)
      this.lastCreatedAt = Math.max(this.lastCreatedAt, entry.createdAt)
    }
  }

  /** Number of queued (unacked) messages. */
  async size(): Promise<number> {
    return this.entries.size
  }

  private put(entry: OutboxEntry): void {
    this.entries.set(entry.key, entry)
  }

  /** Drops in-flight bookkeeping (the connection went away); the next pump resends. */
  connectionLost(): void {
    this.inFlight.clear()
  }

  /** Starts (or re-arms) sending whatever is queued. */
  kick(): void {
    if (this.pumping) {
      this.again = true
      return
    }
    this.pumping = this.pump()
      .catch((e) => this.core.reportError({ error: ParleyError.isInstance(e) ? e : new ConnectionError('outbox failed') }))
      .finally(() => {
        this.pumping = null
        if (this.again) {
          this.again = false
          this.kick()
        }
      })
  }

  /**
   * Sends what is queued, in order: takes the next entries not in flight (up to the window),
   * builds those without a frame — E2EE ones in batches that share one crypto-lock turn and
   * one `saveChanges`, written before any of their frames leaves — then emits the frames in
   * queue order. A transient failure stops the round (retried on reconnect) so nothing after
   * it overtakes it.
   */
  private async pump(): Promise<void> {
    while (this.core.isReady()) {
      const round: OutboxEntry[] = []
      for (const entry of this.entries.values()) {
        if (this.inFlight.size + round.length >= MAX_IN_FLIGHT || round.length >= OUTBOX_BATCH) break
        if (!this.inFlight.has(entry.clientMessageId)) round.push(entry)
      }
      if (round.length === 0) return
      const built = await this.buildAll(round)
      for (const [i, r] of built.entries()) {
        if (!this.core.isReady()) return
        if ('entry' in r) {
          // Sender keys: a group's frames wait for its frame carrying chain distributions to be
          // acked (the server counts those devices as holders only then); the round stops here
          // so nothing overtakes, and the ack's kick resumes it.
          if (this.distributionInFlight(r.entry.conversationId)) return
          this.emitFrame(r.entry)
          continue
        }
        if (isTransient(r.error)) return // retried on reconnect
        // A refused `keys.fetch` (the server's per-requester / per-target limit): kept, retried when it refills.
        if (RateLimitedError.isInstance(r.error)) return this.retryAfter(r.error)
        await this.fail(round[i]!, r.error)
      }
    }
  }

  /** Builds every entry of `round` that has no frame yet; stops at the first transient failure. */
  private async buildAll(round: OutboxEntry[]): Promise<Built[]> {
    const out: Built[] = []
    let e2ee: { entry: OutboxEntry; c: Conversation }[] = []
    const flush = async () => {
      if (e2ee.length > 0) out.push(...(await this.build.e2ee(e2ee)))
      e2ee = []
    }
    for (let entry of round) {
      if (entry.frame?.mode === 'server-side') {
        // Built readable before the conversation was pinned E2EE (a restart, a reconnect, a
        // peer's upgrade): never send it readable now; build it again in the pinned mode.
        try {
          const c = await this.registry.ensure(entry.conversationId)
          if (c.encryption === 'e2ee') entry = await this.unbuild(entry)
        } catch (error) {
          await flush()
          out.push({ error })
          continue
        }
      }
      if (entry.frame) {
        await flush()
        out.push({ entry })
      } else {
        try {
          const c = await this.registry.ensure(entry.conversationId)
          if (c.upgradeRequired) await this.registry.upgrade(c)
          if (c.encryption === 'e2ee') {
            e2ee.push({ entry: entry.unchecked ? await this.lateCheck(entry, c) : entry, c })
            continue
          }
          await flush()
          out.push({ entry: await this.build.readable(entry, c) })
        } catch (error) {
          await flush()
          out.push({ error })
        }
      }
      const last = out[out.length - 1]
      if (last && 'error' in last && isTransient(last.error)) return out
    }
    await flush()
    const firstTransient = out.findIndex((r) => 'error' in r && isTransient(r.error))
    return firstTransient < 0 ? out : out.slice(0, firstTransient + 1)
  }

  /**
   * The local checks of an E2EE send for a message queued as readable (the conversation was
   * upgraded since): the server will not see its content, so local plugins must. A block
   * fails this send; flags are raised once the server acks it.
   */
  private async lateCheck(entry: OutboxEntry, c: Conversation): Promise<OutboxEntry> {
    const verdict = await this.preflightE2ee(c, { text: entry.text, attachments: attachmentMetas(entry.attachments) })
    if (verdict.flags.length) this.lateFlags.set(entry.clientMessageId, verdict)
    const { unchecked: _u, ...checked } = entry
    return checked
  }

  private emitFrame(entry: OutboxEntry): void {
    const id = ++this.attempt
    this.inFlight.set(entry.clientMessageId, id)
    this.core.conn.request('message.send', entry.frame!, ACK_TIMEOUT_MS).then(
      (ack) => this.onAck(entry, id, ack),
      (e) => this.onError(entry, id, e),
    ).catch((e) => this.core.reportError({ error: ParleyError.isInstance(e) ? e : new ConnectionError('outbox failed'), conversationId: entry.conversationId }))
  }

  private async onAck(entry: OutboxEntry, id: number, ack: SendResult): Promise<void> {
    const self = this.core.self()
    let stored = storedFromAck(entry, ack, self)
    let applied: Applied | null = null
    const already = this.entries.has(entry.key)
    if (already) {
      // The ack's seq is the server's word: it may not replace a message this device holds
      // (the evidence a report would send). Checked and written under the lock, as the inbox does.
      const conflict = await this.core.lock.run(async () => {
        const held = await messageAt(this.core.store, entry.conversationId, ack.seq)
        if (held && held.id !== ack.messageId) {
          return new MessageConflictError('the server acknowledged this message at a sequence number this device already holds; the stored one is kept', { conversationId: entry.conversationId, seq: ack.seq })
        }
        const changes: Record<string, JsonValue | null> = { [entry.key]: null }
        // An edit, tombstone or reaction of this device changes its target in the same write.
        const received = await receiveMessage(this.core.store, changes, stored, this.core.now()).catch((e: unknown) => { if (MessageConflictError.isInstance(e)) return e; throw e })
        if (MessageConflictError.isInstance(received)) return received
        if ('action' in received) applied = received.applied
        else stored = received.message // a reply, pointing at its target's id here
        await this.core.store.saveChanges(changes)
        return null
      })
      if (conflict) {
        // Sent, but not stored here: the send fails with the conflict (dropped from the queue).
        if (this.inFlight.get(entry.clientMessageId) === id) this.inFlight.delete(entry.clientMessageId)
        await this.fail(entry, conflict)
        this.kick()
        return
      }
      this.entries.delete(entry.key)
    }
    if (this.inFlight.get(entry.clientMessageId) === id) this.inFlight.delete(entry.clientMessageId)
    const waiter = this.waiters.get(entry.clientMessageId)
    this.waiters.delete(entry.clientMessageId)
    this.policyRetried.delete(entry.clientMessageId)
    const late = this.lateFlags.get(entry.clientMessageId)
    this.lateFlags.delete(entry.clientMessageId)
    if (late && already) {
      this.core.flag(flagEvents(late, { hook: 'checkOutgoing', where: 'client', conversationId: entry.conversationId, sender: { userId: self.userId, deviceId: self.deviceId }, messageId: ack.messageId }))
    }
    if (already) emitAcked(this.core, await this.registry.ensure(entry.conversationId), stored, applied as Applied | null, ack.messageId)
    waiter?.resolve(ack)
    this.kick()
  }

  private async onError(entry: OutboxEntry, id: number, e: unknown): Promise<void> {
    if (this.inFlight.get(entry.clientMessageId) !== id) return
    this.inFlight.delete(entry.clientMessageId)
    if (isTransient(e)) {
      if (this.core.isReady()) setTimeout(() => this.kick(), 1_000)
      return
    }
    if (RateLimitedError.isInstance(e)) return this.retryAfter(e)
    // The server's database is down or full (a restart, a failover): it stored nothing it did
    // not ack, and a resend with the same client message id is stored once — keep it queued.
    if (StoreError.isInstance(e)) {
      setTimeout(() => this.kick(), STORE_RETRY_MS)
      return
    }
    if (InvalidDeviceListError.isInstance(e) && entry.frame?.mode === 'e2ee' && entry.frame.senderKey && !this.policyRetried.has(entry.clientMessageId)) {
      // Sender keys: the server's coverage rule refused this chain (a device it does not know
      // holds it, or one that should hold it does not): rotate, re-read device lists, rebuild — once.
      this.policyRetried.add(entry.clientMessageId)
      const details = e.details as { missing?: { userId: string }[]; extra?: { userId: string }[] }
      for (const d of [...(details.missing ?? []), ...(details.extra ?? [])]) this.directory.markStale(d.userId)
      await this.core.lock.run(async () => {
        const changes: Record<string, JsonValue | null> = {}
        await this.groups.rotate?.({ conversationId: entry.conversationId, changes })
        await this.core.store.saveChanges(changes)
      })
      // The roster may be behind (a removal withheld from this device): catch it up (a described
      // rosterVersion ahead of the pin is fetched and verified), else the rebuild is refused again.
      await this.registry.refresh().catch(() => undefined)
      // Queued frames built on the refused chain would be refused too: build them again on the new one.
      const keyId = entry.frame.senderKey.keyId
      for (const e of [...this.entries.values()]) {
        if (e !== entry && e.conversationId === entry.conversationId && !this.inFlight.has(e.clientMessageId) && e.frame?.mode === 'e2ee' && e.frame.senderKey?.keyId === keyId) await this.unbuild(e)
      }
      await this.rebuild(entry)
      return
    }
    if (DowngradeRejectedError.isInstance(e) && entry.frame?.mode === 'server-side') {
      // The conversation is E2EE on the server: never send it readable; rebuild encrypted.
      const c = await this.registry.ensure(entry.conversationId)
      await this.registry.pinRefused(c)
      await this.rebuild(entry)
      return
    }
    if (PolicyViolationError.isInstance(e) && entry.frame?.mode === 'server-side' && !this.policyRetried.has(entry.clientMessageId)) {
      // The server wants this conversation upgraded first (the policy moved and what we
      // cached is stale): refresh, upgrade, and rebuild the message E2EE — once.
      this.policyRetried.add(entry.clientMessageId)
      try {
        const c = await this.registry.ensure(entry.conversationId)
        await this.registry.refresh()
        if (c.encryption !== 'e2ee') await this.registry.upgrade(c)
      } catch (again) {
        if (!isTransient(again)) {
          await this.fail(entry, again)
          return
        }
      }
      await this.rebuild(entry)
      return
    }
    await this.fail(entry, e)
  }

  /** True while a sender-key frame of `conversationId` carrying distribution envelopes awaits its ack. */
  private distributionInFlight(conversationId: string): boolean {
    for (const e of this.entries.values()) {
      const f = e.frame
      if (e.conversationId === conversationId && this.inFlight.has(e.clientMessageId) && f?.mode === 'e2ee' && f.senderKey && f.envelopes.length > 0) return true
    }
    return false
  }

  /** Drops the built frame of `entry` (it is built again, in the conversation's current mode). */
  private async rebuild(entry: OutboxEntry): Promise<void> {
    await this.unbuild(entry)
    this.kick()
  }

  /** `entry` without its built frame, stored so. */
  private async unbuild(entry: OutboxEntry): Promise<OutboxEntry> {
    const { frame: _f, nf: _n, ...rest } = entry
    await this.core.store.set(entry.key, json(rest))
    this.put(rest)
    return rest
  }

  /** Runs the queue again once a rate limit allows it (`retryAfterMs`, between 100 ms and 60 s). */
  private retryAfter(e: RateLimitedError): void {
    setTimeout(() => this.kick(), Math.min(Math.max(e.details.retryAfterMs ?? 1_000, 100), 60_000))
  }

  private async fail(entry: OutboxEntry, e: unknown): Promise<void> {
    await this.core.store.delete(entry.key)
    this.entries.delete(entry.key)
    this.policyRetried.delete(entry.clientMessageId)
    this.lateFlags.delete(entry.clientMessageId)
    const error = ParleyError.isInstance(e) ? e : new ConnectionError('send failed')
    const waiter = this.waiters.get(entry.clientMessageId)
    this.waiters.delete(entry.clientMessageId)
    // A block answers this send, as an E2EE local block does before queueing: it goes to the
    // waiting caller only, so the sender sees the same thing in every mode. So do the safety
    // refusals (canMessage denied, the peer is blocked by this user).
    const answersSend = MessageBlockedError.isInstance(error) || MessagingDeniedError.isInstance(error) || PeerBlockedError.isInstance(error)
    if (!(waiter && answersSend)) this.core.reportError({ error, conversationId: entry.conversationId })
    waiter?.reject(error)
  }
}
