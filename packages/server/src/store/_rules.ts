/**
 * Store rules shared by every backend, so memory, PGlite and PostgreSQL decide identically:
 * envelope coverage, the mode check on append, and the notices a policy change writes.
 */
import {
  DowngradeRejectedError, IdentityChangedError, InvalidDeviceListError, PolicyViolationError, POLICY_TABLE,
  type DeviceAddress, type EncryptionMode, type Envelope, type Notice, type Policy,
} from '@parley/protocol'

/**
 * The refusal of a registration that brings an identity key an account reset abandoned
 * (docs/recovery.md, decision 0023): every old device held that key's secret, so a lost device
 * that still has a token must not pin it back in the window before the user's new device.
 */
export function abandonedIdentityError(userId: string): IdentityChangedError {
  return new IdentityChangedError('this user identity key was abandoned by an account reset and cannot register again', { userId })
}

/** `userId\ndeviceId`: a device as a map key. */
export function deviceKey(d: DeviceAddress): string {
  return `${d.userId}\n${d.deviceId}`
}

/** The unique key of the 1:1 conversation of two users (order-independent). */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\n${b}` : `${b}\n${a}`
}

/**
 * Checks that a message's mode matches its conversation.
 * @throws {DowngradeRejectedError} a server-side frame for an e2ee conversation.
 * @throws {PolicyViolationError} an e2ee frame for a server-side conversation (upgrade first),
 *   or a server-side frame while the policy requires an upgrade.
 */
export function checkMode(conversationId: string, conversationMode: EncryptionMode, upgradeRequired: boolean, messageMode: EncryptionMode): void {
  if (conversationMode === 'e2ee' && messageMode === 'server-side') {
    throw new DowngradeRejectedError('a server-side frame arrived for an end-to-end encrypted conversation', { conversationId })
  }
  if (conversationMode === 'server-side' && messageMode === 'e2ee') {
    throw new PolicyViolationError('conversation is server-side: send mode.upgrade first', {})
  }
  if (upgradeRequired && messageMode === 'server-side') {
    throw new PolicyViolationError('the server policy requires upgrading this conversation to e2ee before sending', {})
  }
}

/**
 * Checks that e2ee envelopes address exactly the expected devices (every active device of
 * every member, minus the sending device), each once.
 * @throws {InvalidDeviceListError} with `details.missing` / `details.extra` device addresses.
 */
export function checkCoverage(envelopes: readonly Envelope[], expected: readonly DeviceAddress[]): void {
  const want = new Set(expected.map(deviceKey))
  const seen = new Set<string>()
  const extra: DeviceAddress[] = []
  for (const e of envelopes) {
    const k = deviceKey(e)
    if (!want.has(k) || seen.has(k)) extra.push({ userId: e.userId, deviceId: e.deviceId })
    seen.add(k)
  }
  const missing = expected.filter((d) => !seen.has(deviceKey(d))).map((d) => ({ userId: d.userId, deviceId: d.deviceId }))
  if (missing.length || extra.length) {
    const details = { reason: 'device_mismatch', missing, extra }
    throw new InvalidDeviceListError('envelopes must cover exactly the current devices of the members: fetch keys again', details as never)
  }
}

/**
 * The coverage rule of an E2EE send, both variants: without `senderKey`, {@link checkCoverage};
 * with it (sender keys, docs/groups.md), every expected device holds the sender's chain already
 * or gets a distribution envelope now, envelopes go only to expected devices, each once, and
 * none to a device that holds the chain (distribution happens once per chain per device).
 * A chain held by a device that is no longer expected (a removed member, a revoked device) is
 * stale: the sender must rotate before sending on it again (`reason: 'sender_key_stale'`).
 * @throws {InvalidDeviceListError} `device_mismatch` with `missing` / `extra`, or `sender_key_stale` with `extra`.
 */
export function checkSendCoverage(message: { envelopes?: readonly Envelope[]; senderKey?: unknown; senderKeyHolders?: readonly DeviceAddress[] }, expected: readonly DeviceAddress[]): void {
  if (!message.senderKey) return checkCoverage(message.envelopes ?? [], expected)
  const want = new Set(expected.map(deviceKey))
  const holders = message.senderKeyHolders ?? []
  const stale = holders.filter((h) => !want.has(deviceKey(h))).map((d) => ({ userId: d.userId, deviceId: d.deviceId }))
  if (stale.length) {
    const details = { reason: 'sender_key_stale', missing: [], extra: stale }
    throw new InvalidDeviceListError('the sender key was given to a device that is no longer a member device: rotate it', details as never)
  }
  const held = new Set(holders.map(deviceKey))
  checkCoverage(message.envelopes ?? [], expected.filter((d) => !held.has(deviceKey(d))))
}

/**
 * The devices of `targets` that get an inbox row for `message`: all but those of the users it
 * is withheld from (a blocked sender's message to the blocker). Applied after the coverage
 * check, so coverage never tells a sender whether it is blocked.
 */
export function deliverable<T extends DeviceAddress>(targets: readonly T[], message: { withheldFrom?: readonly string[] }): T[] {
  const withheld = message.withheldFrom
  return withheld?.length ? targets.filter((t) => !withheld.includes(t.userId)) : [...targets]
}

/**
 * The notice one member gets about one conversation when the policy changes: a code and the
 * structured fields its client renders (`noticeText` in `@parley/client`), never prose.
 */
export function policyNotice(args: { policy: Policy; previous: Policy; conversationId: string; mode: EncryptionMode; now: number }): Notice {
  const { policy, previous, conversationId, mode, now } = args
  if (mode === 'server-side' && POLICY_TABLE[policy].upgradeOnNextSend) {
    return { kind: 'upgrade_required', conversationId, policy, previousPolicy: previous, encryption: 'server-side', ts: now }
  }
  return { kind: 'policy_changed', conversationId, policy, previousPolicy: previous, encryption: mode, ts: now }
}

/** The notice every member gets when `by` upgrades a conversation to e2ee. */
export function modeChangedNotice(conversationId: string, by: string, now: number): Notice {
  return { kind: 'mode_changed', conversationId, encryption: 'e2ee', by, ts: now }
}

/**
 * A notice as read back from storage. Rows written before protocol version 2 carry the old
 * server-built `text`; it is dropped here (never sent), and a version-1 `mode_changed` row gets
 * its structured `by` back from the first word of that text (the old server wrote
 * `"<userId> turned on …"`, and user ids contain no spaces). Anything else passes unchanged;
 * the sender still validates every notice before it leaves the server.
 */
export function storedNotice(raw: Record<string, unknown>): Notice {
  const { text, ...rest } = raw
  if (rest.kind === 'mode_changed' && rest.by === undefined && typeof text === 'string') {
    const by = text.split(' ', 1)[0]
    if (by) rest.by = by
  }
  return rest as Notice
}

/** Ms until a bucket holding `tokens` has one whole token (0 when it has one now). */
export function tokenWaitMs(tokens: number, refillPerSecond: number): number {
  return tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - tokens) / refillPerSecond) * 1000))
}

/** When a bucket left at `tokens` is full again (its state can then be forgotten). */
export function fullAt(capacity: number, tokens: number, refillPerSecond: number, now: number): number {
  return now + Math.ceil((Math.max(0, capacity - tokens) / refillPerSecond) * 1000)
}
