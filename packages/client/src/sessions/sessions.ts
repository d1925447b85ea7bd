/**
 * Ratchet sessions with peer devices: fan-out encryption, decryption with the
 * simultaneous-initiation fallback (try the current state, then previous ones, then — for a
 * `prekey` message — a new responder session), and the bounded session-reset path.
 * Every function returns the store changes it implies; callers write them atomically with
 * whatever depends on them (the outbox frame, or the received message and inbox cursor).
 */
import {
  InvalidDeviceListError, MissingSessionError, ParleyError, type DeviceAddress, type Envelope,
} from '@parley/protocol'
import { continuesSession, decryptMessage, encryptMessage, sessionPeerIdentity, type MessageContext, type PreKeySecrets } from '@parley/crypto'
import {
  KEM_LAST_RESORT_ID_BASE, MAX_PREVIOUS_SESSIONS, MAX_SESSION_RESETS_PER_WINDOW, ROTATE_AFTER_INITIAL_MESSAGES, SESSION_RESET_WINDOW_MS,
} from '../constants.js'
import type { ClientCore } from '../core.js'
import type { Directory } from './directory.js'
import type { JsonValue } from '../key-store/key-store.js'
import { readSeen, seenIds, withSeen } from './prekey-rotation.js'
import { K, json, type SessionRecord } from '../store-layout.js'

type Changes = Record<string, JsonValue | null>

/** Stands in for the prekey secrets when decrypting a 'message' (which never reads them). */
const NO_PREKEYS: PreKeySecrets = Object.freeze({ signedPreKeys: {}, oneTimePreKeys: {}, kemPreKeys: {} }) as PreKeySecrets

/** Decrypt failures ranked by how much they say (the most specific one is reported). */
const FAILURE_RANK: Record<string, number> = {
  replayed: 6, duplicate: 5, invalid_signature: 4, too_far_ahead: 3, bad_mac: 2, missing_session: 1,
}

export class Sessions {
  /** Called when a signed prekey reached its limit of initial messages (the client rotates early). */
  onSignedPreKeyFull: () => void = () => {}

  constructor(private readonly core: ClientCore, private readonly directory: Directory) {}

  private context(conversationId: string, recipient: DeviceAddress): MessageContext {
    const self = this.core.self()
    return { protocolVersion: this.core.version(), conversationId, sender: { userId: self.userId, deviceId: self.deviceId }, recipient }
  }

  private async record(addr: DeviceAddress, changes: Changes): Promise<SessionRecord | null> {
    const key = K.session(addr)
    if (key in changes) return changes[key] as unknown as SessionRecord | null
    return (await this.core.store.get<JsonValue>(key)) as SessionRecord | null
  }

  /**
   * Encrypts `plaintext` once per target device. Devices without a session are skipped and
   * returned in `missing` (the caller surfaces them). Call inside the crypto lock.
   */
  async encryptFor(targets: DeviceAddress[], plaintext: Uint8Array, conversationId: string, changes: Changes): Promise<{ envelopes: Envelope[]; missing: DeviceAddress[] }> {
    const provider = await this.core.provider()
    const envelopes: Envelope[] = []
    const missing: DeviceAddress[] = []
    for (const addr of targets) {
      const rec = await this.record(addr, changes)
      const state = rec?.states[0]
      if (!rec || !state) {
        missing.push(addr)
        continue
      }
      const out = await encryptMessage({ state, plaintext, context: this.context(conversationId, addr), provider })
      changes[K.session(addr)] = json({ states: [out.state, ...rec.states.slice(1)] } satisfies SessionRecord)
      envelopes.push({ userId: addr.userId, deviceId: addr.deviceId, type: out.type, ciphertext: out.ciphertext })
    }
    return { envelopes, missing }
  }

  /**
   * Decrypts one envelope from `sender`. Call inside the crypto lock.
   * @throws the most specific typed decrypt failure (`MissingSessionError`, `BadMacError`,
   *   `TooFarAheadError`, `DuplicateMessageError`, `ReplayedMessageError`, `InvalidSignatureError`),
   *   or `InvalidDeviceListError` when the session's identity is not the one the sender's
   *   signed device list names. On throw, `changes` is untouched.
   */
  async decrypt(sender: DeviceAddress, conversationId: string, envelope: { type: 'prekey' | 'message'; ciphertext: string }, changes: Changes): Promise<Uint8Array> {
    const self = this.core.self()
    const rec = (await this.record(sender, changes)) ?? { states: [] }
    // Only a 'prekey' message can consume prekeys or be a replayed initial message; a
    // 'message' never reads them, so the (large) prekey record is not loaded per message.
    const initial = envelope.type === 'prekey'
    const preKeys = initial
      ? (changes[K.preKeys] as unknown as PreKeySecrets | undefined) ?? ((await this.core.store.get<JsonValue>(K.preKeys)) as unknown as PreKeySecrets)
      : NO_PREKEYS
    // Replay ids are kept per signed prekey for as long as its secret exists (prekey-rotation.ts).
    const seenRecord = initial ? readSeen(K.seenInitial in changes ? changes[K.seenInitial] : await this.core.store.get<JsonValue>(K.seenInitial), self) : null
    const seen = seenRecord ? seenIds(seenRecord) : []
    const context = { protocolVersion: this.core.version(), conversationId, sender, recipient: { userId: self.userId, deviceId: self.deviceId } }
    const provider = await this.core.provider()
    // A 'prekey' message continues the state whose base key it names, else starts one fresh
    // responder session (PQXDH runs at most once per message, however many states are kept);
    // for 'message' each state is tried (each costs at most one header MAC or one DH before
    // it authenticates).
    const continued = initial ? rec.states.flatMap((s, i) => (continuesSession(s, envelope.ciphertext) ? [i] : [])) : []
    const candidates: (number | null)[] = initial ? (continued.length > 0 ? continued : [null]) : rec.states.map((_, i) => i)
    // The fallback error is built only when nothing better was thrown (building one captures a stack).
    let best: ParleyError | null = null
    for (const index of candidates) {
      try {
        const out = await decryptMessage({
          state: index === null ? null : rec.states[index]!,
          ours: self.device,
          preKeys,
          type: envelope.type,
          ciphertext: envelope.ciphertext,
          context,
          provider,
          seenInitialMessages: seen,
        })
        const entry = await this.directory.deviceEntry(sender)
        if (!entry) throw new InvalidDeviceListError(`device "${sender.deviceId}" is not in the signed device list of "${sender.userId}"`, { userId: sender.userId })
        if (sessionPeerIdentity(out.state) !== entry.identityKey) {
          throw new InvalidDeviceListError(`device "${sender.deviceId}" used a key its signed device list does not name`, { userId: sender.userId })
        }
        // A fresh responder session keeps every older state (a simultaneous-initiation race
        // may still deliver on them); a continued one is promoted to current.
        const fresh = out.initialMessageId !== undefined || out.usedPreKeys.oneTime !== undefined || out.usedPreKeys.kem !== undefined
        const others = fresh ? rec.states : rec.states.filter((_, i) => i !== index)
        changes[K.session(sender)] = json({ states: [out.state, ...others].slice(0, MAX_PREVIOUS_SESSIONS + 1) } satisfies SessionRecord)
        const used = out.usedPreKeys
        // Which KEM key is last-resort is our own record (its id range), never the initiator's
        // unauthenticated `kemIsLastResort` flag: a peer could otherwise keep a one-time key alive.
        const kemIsOneTime = used.kem !== undefined && used.kem < KEM_LAST_RESORT_ID_BASE
        if (used.oneTime !== undefined || kemIsOneTime) {
          const next: PreKeySecrets = {
            signedPreKeys: preKeys.signedPreKeys,
            oneTimePreKeys: { ...preKeys.oneTimePreKeys },
            kemPreKeys: { ...preKeys.kemPreKeys },
          }
          if (used.oneTime !== undefined) delete next.oneTimePreKeys[used.oneTime]
          if (kemIsOneTime) delete next.kemPreKeys[used.kem!]
          changes[K.preKeys] = json(next)
        }
        if (out.initialMessageId !== undefined && out.usedPreKeys.signedPreKey !== undefined) {
          // Each signed prekey accepts a bounded number of initial messages (its replay ids are
          // kept for its whole life): past that, refuse and rotate, so a peer starting session
          // after session cannot grow the list without bound.
          const held = seenRecord!.bySignedPreKey[out.usedPreKeys.signedPreKey]?.length ?? 0
          if (held >= ROTATE_AFTER_INITIAL_MESSAGES) {
            this.onSignedPreKeyFull()
            throw new MissingSessionError(`signed prekey ${out.usedPreKeys.signedPreKey} accepted its limit of initial messages; a new one is published`, { deviceId: self.deviceId })
          }
          changes[K.seenInitial] = json(withSeen(seenRecord!, out.usedPreKeys.signedPreKey, out.initialMessageId))
        }
        return out.plaintext
      } catch (e) {
        if (!ParleyError.isInstance(e)) throw e
        if (InvalidDeviceListError.isInstance(e)) throw e
        if ((FAILURE_RANK[e.code] ?? 0) > (best ? FAILURE_RANK[best.code] ?? 0 : FAILURE_RANK.missing_session!)) best = e
      }
    }
    throw best ?? new MissingSessionError(`no session with device "${sender.deviceId}"`, { deviceId: sender.deviceId })
  }

  /**
   * The bounded reset: marks the session with `addr` for renewal — the next send fetches a
   * fresh bundle and starts a new session in front — unless
   * {@link MAX_SESSION_RESETS_PER_WINDOW} resets already happened in the window. Every
   * existing state is kept and still decrypts: the failure that called this is
   * unauthenticated (a forged or garbled ciphertext proves nothing), so it must not destroy a
   * working session; only an authenticated new session from that device displaces one.
   * Returns whether a reset was made. Call inside the crypto lock.
   */
  async reset(addr: DeviceAddress): Promise<boolean> {
    const now = this.core.now()
    const recent = ((await this.core.store.get<number[]>(K.resets(addr))) ?? []).filter((t) => now - t < SESSION_RESET_WINDOW_MS)
    if (recent.length >= MAX_SESSION_RESETS_PER_WINDOW) return false
    const rec = await this.record(addr, {})
    const renewed = rec && rec.states.length > 0 ? json({ states: rec.states, renew: true } satisfies SessionRecord) : null
    await this.core.store.saveChanges({ [K.session(addr)]: renewed, [K.resets(addr)]: [...recent, now] })
    return true
  }
}
