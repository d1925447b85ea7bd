/**
 * Disappearing messages on this device (issue 17, docs/recovery.md). Each conversation's timer
 * is a signed setting this device pins only after checking it: the signer is a member (as
 * this device pinned them), the signature verifies under that member's listed device, and the
 * version is above the pinned one (an older or replayed setting is not believed) and at most
 * `MAX_DISAPPEARING_VERSION_STEP` above it; a device with no pin (a new member, a device whose
 * snapshot carried none) takes the first verified setting at any version (decision 0025). Pins
 * carried by a history transfer or a backup are checked the same way before they count
 * (carried-pins.ts). The server cannot forge or change a setting; it can only withhold it.
 *
 * The pinned setting decides the timer this device franks into the messages it sends
 * (message-timer.ts). A message expires `min(franked timer, pinned timer)` after this device
 * logged it (decisions 0023, 0025): a message without a franked timer (an older or modified
 * client) still expires under the setting this device verified. Each expiry is a key
 * `exp/<at>/<conversation>/<seq>` in the key store, so the sweep reads only what is due; the
 * sweep deletes the message and what expires with it (expire-message.ts) from the log and the
 * search index, folds tombstones past their bound (tombstones.ts), and emits `'expired'`.
 */
import { DisappearingRejectedError, MAX_DISAPPEARING_VERSION_STEP, NotFoundError, type ConversationInfo, type DisappearingSetting, type ParleyError } from '@parley/protocol'
import { signDisappearing, verifyDisappearing } from '@parley/crypto'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { JsonValue } from '../key-store/key-store.js'
import { json } from '../store-layout.js'
import type { Message } from '../types.js'
import { checkTimer, type DisappearingEventPayload } from './types.js'
import { PIN_PREFIX, pinKey } from './message-timer.js'
import { expireMessage } from './expire-message.js'
import { CARRIED_PIN_PREFIX, carriedConversation, carriedPinKey, carriedSetting, wellFormedSetting, type CarriedPin } from './carried-pins.js'
import { boundCarriedTombstones, pruneTombstones } from './tombstones.js'
import { buildExpiryIndex, EXPIRY_PREFIX, expiryIndexKey, expiryKey, expiryWaitKey, recordedExpiry, WAIT_PREFIX, waitPrefix } from './expiry-keys.js'

/** The longest a sweep timer waits before looking again (a setTimeout must fit 32 bits). */
export const MAX_SWEEP_WAIT_MS = 24 * 60 * 60 * 1_000

/** What the timers need from the rest of the client. */
export interface TimerDeps {
  conversation(id: string): Conversation | undefined
  applyInfo(info: ConversationInfo): Promise<Conversation>
  /** The verified listed device entry of a member (fetching the list when unknown). */
  listedDevice(addr: { userId: string; deviceId: string }): Promise<{ signingKey: string } | undefined>
  /** Drops deleted log keys from the search index. */
  forgetSearch(keys: string[]): void
}

export class DisappearingTimers {
  private readonly pins = new Map<string, DisappearingSetting>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private nextAt = Infinity
  private sweeping: Promise<void> | null = null
  private stopped = false
  /** Accepts, carried-pin settling and waiting records run one at a time (see `serial`). */
  private accepting: Promise<unknown> = Promise.resolve()

  constructor(private readonly core: ClientCore, private readonly deps: TimerDeps) {
    core.events.on('message', (m) => {
      if (m.seq !== undefined && m.status !== 'pending') void this.track(m).catch((e) => this.core.reportError({ error: e, conversationId: m.conversationId }))
    })
  }

  /** The pinned timer of a conversation in ms, or null (off or never set). */
  timerOf(conversationId: string): number | null {
    return this.pins.get(conversationId)?.ms ?? null
  }

  /** Loads the pins and schedules the sweep (start-up). */
  async load(): Promise<void> {
    for (const key of await this.core.store.keys(PIN_PREFIX)) {
      const s = (await this.core.store.get<JsonValue>(key)) as DisappearingSetting | null
      if (s) this.pins.set(s.conversationId, s)
    }
    await buildExpiryIndex(this.core.store)
    await this.sweep()
  }

  /**
   * Signs and stores a new setting for `c` (any member may), then pins it. A `stale` refusal
   * (another member changed it first) reads the current setting and retries once. The version is
   * one above the pinned one or a waiting carried pin, whichever is higher (review of 2026-12-03,
   * third round, M1). It resolves only once the new setting is pinned here: a server that accepts a
   * setting this device does not pin (another stands) gets `stale` too, never a silent success.
   * @throws {TypeError|RangeError} a bad `ms`. @throws {DisappearingRejectedError} refused.
   */
  async set(c: Conversation, ms: number | null): Promise<void> {
    const timer = checkTimer(ms)
    await this.core.whenReady()
    for (let attempt = 0; ; attempt++) {
      const self = this.core.self()
      // Above a waiting carried pin too: this device has seen that version, and so has the server (review M1).
      const version = Math.max(this.pins.get(c.id)?.version ?? 0, (await this.carriedVersion(c.id)) ?? 0) + 1
      const setting = signDisappearing(self.device, {
        conversationId: c.id, ms: timer, version, userId: self.userId, deviceId: self.deviceId, ts: this.core.now(),
      })
      try {
        await this.core.conn.request('conversation.disappearing', { setting })
        await this.accept(setting)
        // Never a silent success: whatever the server said, the setting is in force here only if
        // pinned — by this accept or by the server's echo of it, which may come first.
        const pinned = this.pins.get(c.id)
        if (pinned?.version !== version || pinned.signature !== setting.signature) throw notPinned(c.id, version)
        return
      } catch (e) {
        if (attempt > 0 || !DisappearingRejectedError.isInstance(e) || e.details.reason !== 'stale') throw e
        await this.sync()
      }
    }
  }

  /**
   * Reads every conversation's setting from the server and pins what verifies (each connect,
   * before catch-up). While a conversation's carried pin waits (its check could not finish:
   * decision 0025 §2), `acceptNow` takes no setting at or below its version — the server could
   * otherwise roll this device back by failing the check.
   */
  async sync(): Promise<void> {
    const { conversations } = await this.core.conn.request('conversation.list', {})
    // Carried tombstones reach no further than each conversation's head (tombstones.ts, review L1).
    await this.core.lock.run(() => boundCarriedTombstones(this.core.store, new Map(conversations.map((c) => [c.id, c.lastSeq]))))
    const fresh = conversations.filter((info) => info.disappearing && (this.pins.get(info.id)?.version ?? 0) < info.disappearing.version)
    // Conversations not known here yet are loaded first, so their carried pins are checked now.
    for (const info of fresh) {
      if (this.deps.conversation(info.id)) continue
      await this.deps.applyInfo(info).catch((e) => this.core.reportError({ error: e as ParleyError, conversationId: info.id }))
    }
    await this.acceptCarried()
    for (const info of fresh) {
      if (!this.deps.conversation(info.id)) continue
      await this.accept(info.disappearing!).catch((e) => this.core.reportError({ error: e as ParleyError, conversationId: info.id }))
    }
    await this.serial(() => this.settleStragglers())
  }

  /**
   * Waiting records whose carried pin is gone are settled now. A receipt's record is written in
   * its own batch outside this queue (receipts/receipt-expiry.ts), so it can land just after the
   * pin settled (the receipt twin of review M2); it then expires by the pinned setting counted
   * from this connect instead of never.
   */
  private async settleStragglers(): Promise<void> {
    const done = new Set<string>()
    for (const key of await this.core.store.keys(WAIT_PREFIX)) {
      const encoded = key.slice(WAIT_PREFIX.length, key.lastIndexOf('/'))
      if (done.has(encoded)) continue
      done.add(encoded)
      let conversationId: string
      try {
        conversationId = decodeURIComponent(encoded)
      } catch {
        continue
      }
      if ((await this.carriedVersion(conversationId)) === null) await this.settleCarriedNow(carriedPinKey(conversationId), conversationId)
    }
  }

  /**
   * Pins carried by a transfer or backup, checked like any setting (decision 0025): before the
   * server's settings, so the server cannot roll a new device back. A pin settles (its record
   * is dropped) once it is pinned or superseded, malformed, signed by a device whose listed (or
   * vouched) key it does not verify under, or a `version_jump`. After anything else — no key
   * found (the server answered the device-list fetch with nothing, review M1), a fetch the
   * server failed or let time out, a signer not a member as this device holds the members — it
   * waits and is checked again on the next connect; meanwhile its conversation takes no setting
   * at or below its version (`acceptNow`), from a list or a live frame (review M2).
   */
  private async acceptCarried(): Promise<void> {
    for (const key of await this.core.store.keys(CARRIED_PIN_PREFIX)) {
      const pin = (await this.core.store.get<JsonValue>(key)) as CarriedPin | null
      // The conversation is the key's (review L7): a malformed pin still settles its waiting records.
      const named = carriedConversation(key)
      const conversationId = named !== null && carriedPinKey(named) === key ? named : null
      const s = wellFormedSetting(pin, conversationId) // malformed, or for another conversation: settles as nothing
      if (s && !this.deps.conversation(s.conversationId)) continue // not loaded yet: checked on a later connect
      try {
        if (s) await this.accept(s, { ownSignerKey: pin?.signingKey, carried: true })
      } catch (e) {
        this.core.reportError({ error: e as ParleyError, ...(s ? { conversationId: s.conversationId } : {}) })
        if (s && !settlesCarried(e)) continue
      }
      await this.settleCarried(key, conversationId ?? undefined)
    }
  }

  /**
   * Drops a settled carried pin, and gives the untimed messages logged while it waited (review
   * L3) the expiry of the setting now pinned, counted from now (they were kept meanwhile).
   */
  private settleCarried(key: string, conversationId: string | undefined): Promise<void> {
    return this.serial(() => this.settleCarriedNow(key, conversationId))
  }

  /** `settleCarried` from inside the queue (an accept that superseded the carried pin). */
  private async settleCarriedNow(key: string, conversationId: string | undefined): Promise<void> {
    const changes: Record<string, JsonValue | null> = { [key]: null }
    let first = Infinity
    if (conversationId !== undefined) {
      const ms = this.timerOf(conversationId)
      for (const waitKey of await this.core.store.keys(waitPrefix(conversationId))) {
        changes[waitKey] = null
        const e = (await this.core.store.get<JsonValue>(waitKey)) as { conversationId: string; seq: number; id: string } | null
        if (ms === null || !e || (await recordedExpiry(this.core.store, e.conversationId, e.seq)) !== null) continue
        const at = this.core.now() + ms
        changes[expiryKey(at, e.conversationId, e.seq)] = json(e)
        changes[expiryIndexKey(e.conversationId, e.seq)] = at
        first = Math.min(first, at)
      }
    }
    await this.core.store.saveChanges(changes)
    if (first < Infinity) this.schedule(first)
  }

  /** The version of the carried pin still waiting for `conversationId`, or null when none waits. */
  private async carriedVersion(conversationId: string): Promise<number | null> {
    return (await carriedSetting(this.core.store, conversationId))?.version ?? null
  }

  /** A `disappearing` frame: pinned when it verifies (and is above a waiting carried pin), else an `'error'` event. */
  onEvent(setting: DisappearingSetting): void {
    void this.accept(setting).catch((e) => this.core.reportError({ error: e, conversationId: setting.conversationId }))
  }

  /** Runs `fn` after every accept, settle and waiting record queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.accepting.catch(() => undefined).then(fn)
    this.accepting = run
    return run
  }

  /**
   * Pins `setting` when it is newer than the pin and verifies.
   * @throws {DisappearingRejectedError} not a member's, or a bad signature.
   * @throws {NotFoundError} its signer's device is not in that signer's list as fetched now.
   */
  accept(setting: DisappearingSetting, opts: { ownSignerKey?: string | undefined; carried?: boolean } = {}): Promise<void> {
    // One at a time: this device's own ack and the server's echo of it race otherwise.
    return this.serial(() => this.acceptNow(setting, opts))
  }

  /**
   * `ownSignerKey`: a restore's vouched key for one of this user's old devices (carried-pins.ts);
   * `carried`: `setting` is the carried pin itself (any other is measured against it).
   */
  private async acceptNow(setting: DisappearingSetting, { ownSignerKey, carried }: { ownSignerKey?: string | undefined; carried?: boolean }): Promise<void> {
    const c = this.deps.conversation(setting.conversationId)
    if (!c) return // not known here yet: `sync` on the next connect pins it with the conversation
    const pinned = this.pins.get(c.id)
    if ((pinned?.version ?? 0) >= setting.version) return // older or replayed: not believed
    // A waiting carried pin stands for a version this device has seen: nothing at or below it is believed.
    const waiting = carried ? null : await this.carriedVersion(c.id)
    if ((waiting ?? 0) >= setting.version) return
    const refuse = (reason: 'not_member' | 'bad_signature' | 'version_jump') => new DisappearingRejectedError(
      reason === 'not_member' ? 'a disappearing setting signed by a non-member was refused'
        : reason === 'version_jump' ? 'a disappearing setting whose version jumps too far ahead was refused' : 'a disappearing setting that does not verify was refused',
      { conversationId: c.id, version: setting.version, userId: setting.userId, reason },
    )
    // The step bounds a jump from a pin; without one there is nothing to jump from (decision 0025).
    if (pinned && setting.version > pinned.version + MAX_DISAPPEARING_VERSION_STEP) throw refuse('version_jump')
    if (!c.members.includes(setting.userId)) throw refuse('not_member')
    const self = this.core.self()
    // A restore's vouched key first: a fetch for an old device the server no longer lists could only fail.
    const key = setting.userId === self.userId && setting.deviceId === self.deviceId
      ? self.device.signing.publicKey
      : (setting.userId === self.userId ? ownSignerKey : undefined)
        ?? (await this.deps.listedDevice({ userId: setting.userId, deviceId: setting.deviceId }))?.signingKey
    // No key is no verdict (the server can answer a fetch with nothing): a carried pin keeps waiting (review M1).
    if (!key) throw new NotFoundError('the device that signed a disappearing setting is not listed here', { resource: 'device', id: `${setting.userId}/${setting.deviceId}` })
    if (!verifyDisappearing(setting, key)) throw refuse('bad_signature')
    await this.core.store.set(pinKey(c.id), json(setting))
    this.pins.set(c.id, setting)
    if (waiting !== null) await this.settleCarriedNow(carriedPinKey(c.id), c.id) // superseded: settled now
    const payload: DisappearingEventPayload = {
      conversationId: c.id, ms: setting.ms, by: { userId: setting.userId, deviceId: setting.deviceId }, version: setting.version, ts: setting.ts,
    }
    c._emit('disappearing', payload)
    this.core.events.emit('disappearing', payload)
  }

  /**
   * Records when a logged message expires: by the shorter of the timer its sender franked into
   * it and the setting this device verified and holds now (decision 0025; an untimed message
   * from an older or modified client is not kept past it), counted from this device's receipt —
   * a server that back-dates `ts` cannot make a message vanish on arrival (decision 0023).
   */
  private async track(m: Message): Promise<void> {
    const seq = m.seq
    if (seq === undefined) return
    const entry = json({ conversationId: m.conversationId, seq, id: m.id })
    let ms = effectiveTimer(m.disappearingMs, this.timerOf(m.conversationId))
    if (ms === undefined) {
      // Untimed: the pin is read again inside the queue, with the carried-pin check (review of
      // 2026-12-03, third round, M2) — an accept in flight may pin a setting and settle the carried
      // pin before this runs. Untimed while a carried pin waits: recorded, and given the settled
      // setting's expiry when it settles (review L3).
      ms = await this.serial(async () => {
        const now = effectiveTimer(m.disappearingMs, this.timerOf(m.conversationId))
        if (now === undefined && (await this.carriedVersion(m.conversationId)) !== null) await this.core.store.set(expiryWaitKey(m.conversationId, seq), entry)
        return now
      })
      if (ms === undefined) return
    }
    const at = this.core.now() + ms
    const held = await recordedExpiry(this.core.store, m.conversationId, seq)
    if (held !== null && held <= at) return // already expires sooner (the same message seen again)
    await this.core.store.saveChanges({ [expiryKey(at, m.conversationId, seq)]: entry, [expiryIndexKey(m.conversationId, seq)]: at })
    this.schedule(at)
  }

  private schedule(at: number): void {
    if (this.stopped || at >= this.nextAt) return
    if (this.timer) clearTimeout(this.timer)
    this.nextAt = at
    const wait = Math.min(Math.max(at - this.core.now(), 0), MAX_SWEEP_WAIT_MS)
    this.timer = setTimeout(() => {
      this.timer = null
      this.nextAt = Infinity
      void this.sweep().catch((e) => this.core.reportError({ error: e }))
    }, wait)
    ;(this.timer as { unref?: () => void }).unref?.() // never keeps a Node process alive
  }

  /** Deletes every message whose time is up (log, expiry key, search index), then schedules the next sweep. */
  sweep(): Promise<void> {
    if (!this.sweeping) this.sweeping = this.sweepNow().finally(() => (this.sweeping = null))
    return this.sweeping
  }

  private async sweepNow(): Promise<void> {
    if (this.stopped) return
    const now = this.core.now()
    const due: string[] = []
    let next: number | undefined
    for (const key of await this.core.store.keys(EXPIRY_PREFIX)) {
      const at = Number(key.slice(EXPIRY_PREFIX.length, EXPIRY_PREFIX.length + 16))
      if (at <= now) due.push(key)
      else {
        next = at
        break
      }
    }
    if (due.length) {
      const changes: Record<string, JsonValue | null> = {}
      const gone = new Map<string, string[]>()
      const logKeys: string[] = []
      for (const key of due) {
        const e = (await this.core.store.get<JsonValue>(key)) as { conversationId: string; seq: number; id: string } | null
        changes[key] = null
        if (!e) continue
        changes[expiryIndexKey(e.conversationId, e.seq)] = null
        logKeys.push(...(await expireMessage(this.core.store, e.conversationId, e.seq, e.id, changes)))
        gone.set(e.conversationId, [...(gone.get(e.conversationId) ?? []), e.id])
      }
      await this.core.lock.run(() => this.core.store.saveChanges(changes))
      this.deps.forgetSearch(logKeys)
      // Bounded tombstones (tombstones.ts): a no-op below the bound.
      for (const conversationId of gone.keys()) await this.core.lock.run(() => pruneTombstones(this.core.store, conversationId))
      for (const [conversationId, messageIds] of gone) {
        const payload = { conversationId, messageIds }
        this.deps.conversation(conversationId)?._emit('expired', payload)
        this.core.events.emit('expired', payload)
      }
    }
    if (next !== undefined) this.schedule(next)
  }

  /** Stops the sweep timer (client close). */
  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}

/** `set()`'s own setting was accepted by the server but another stands here: `stale` (review M1). */
function notPinned(conversationId: string, version: number): DisappearingRejectedError {
  return new DisappearingRejectedError('another disappearing setting stands on this device', { conversationId, version, reason: 'stale' })
}

/** A carried pin's check ended in a verdict: refused by a key that was found, or a version jump (review M1). */
function settlesCarried(e: unknown): boolean {
  return DisappearingRejectedError.isInstance(e) && (e.details.reason === 'bad_signature' || e.details.reason === 'version_jump')
}

/** The timer a logged message expires by: the shorter of its franked timer and this device's pinned one. */
export function effectiveTimer(franked: number | undefined, pinned: number | null): number | undefined {
  if (pinned === null) return franked
  return franked === undefined ? pinned : Math.min(franked, pinned)
}

/**
 * Builds the timers and routes the `disappearing` frame to them: the client's only wiring
 * (`create-client.ts` calls this once, `load()` at start, `sync()` before each catch-up).
 */
export function wireDisappearing(core: ClientCore, deps: TimerDeps): DisappearingTimers {
  const timers = new DisappearingTimers(core, deps)
  core.conn.handle('disappearing', (e) => timers.onEvent(e.setting))
  return timers
}
