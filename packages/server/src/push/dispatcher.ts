/**
 * The push dispatcher (issue 18, docs/push.md): calls the integrator's `onOfflineDelivery` once
 * per offline device and conversation per batch. A stored message notes each recipient device
 * (never the sender's own devices); the first note opens a window of `coalesceMs`, and every
 * message reaching the same device in the same conversation until the batch runs joins it
 * (`count`, newest `messageId`). When the window closes the dispatcher asks the socket.io
 * adapter which of those devices are connected (every node), drops them (they got the messages
 * live), reads the others' registrations in one store round trip and calls the hook for each,
 * isolated: a throw or a slow hook is reported and never touches delivery or other calls.
 *
 * At most one batch runs at a time: notes that arrive while the hook calls of a batch are still
 * running wait for the next batch, so a slow push service makes batches larger, never more
 * numerous. `close()` runs what is pending (while the sockets are still connected) and waits.
 */
import { TimeoutError, type DeviceAddress, type PlainBody } from '@parley/protocol'
import { deviceRoom, type Ctx } from '../context.js'
import type { Recipient, StoredMessage } from '../store/store.js'
import { previewOf } from './preview.js'
import { MAX_PENDING_PUSHES, MAX_PUSH_COALESCE_MS, PUSH_HOOK_TIMEOUT_MS, type OfflineDelivery, type OnOfflineDelivery } from './types.js'

type Pending = Omit<OfflineDelivery, 'registrations' | 'muted'>

const deviceKey = (d: DeviceAddress) => `${d.userId}\n${d.deviceId}`

export class PushDispatcher {
  private pending = new Map<string, Pending>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private running: Promise<void> | undefined
  private closed = false
  private dropped = 0

  constructor(
    private readonly ctx: Ctx,
    private readonly hook: OnOfflineDelivery,
    private readonly coalesceMs: number,
    /** Most entries one batch holds (a parameter for tests; {@link MAX_PENDING_PUSHES} otherwise). */
    private readonly maxPending = MAX_PENDING_PUSHES,
  ) {}

  /** Notes a freshly stored message for its recipient devices (`body`: a server-side message's, already in memory). */
  note(message: StoredMessage, recipients: readonly Recipient[], body?: PlainBody): void {
    if (this.closed || message.kind !== 'message' || message.deleted) return
    const preview = message.mode === 'server-side' && body ? previewOf(body) : undefined
    for (const r of recipients) {
      if (r.userId === message.sender.userId) continue // the sender's own devices: it wrote the message
      const key = `${deviceKey(r)}\n${message.conversationId}`
      if (!this.pending.has(key) && this.pending.size >= this.maxPending) {
        this.dropped++
        continue
      }
      const count = (this.pending.get(key)?.count ?? 0) + 1
      // Re-inserted, so a batch lists devices in the order their newest message came.
      this.pending.delete(key)
      this.pending.set(key, {
        device: { userId: r.userId, deviceId: r.deviceId }, conversationId: message.conversationId, messageId: message.id, count,
        sender: { ...message.sender }, mode: message.mode, ts: message.ts, ...(preview ? { preview: { ...preview } } : {}),
      })
    }
    this.schedule()
  }

  /** Runs what is pending now (the sockets of connected devices still count as online) and waits for it. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.running
    if (this.pending.size) await this.batch().catch((e) => this.ctx.reportError(e, { where: 'onOfflineDelivery' }))
  }

  private schedule(): void {
    if (this.timer || this.running || this.closed || !this.pending.size) return
    this.timer = setTimeout(() => this.run(), this.coalesceMs)
  }

  private run(): void {
    this.timer = undefined
    this.running = this.ctx.track(this.batch())
      .catch((e) => this.ctx.reportError(e, { where: 'onOfflineDelivery' }))
      .finally(() => {
        this.running = undefined
        this.schedule()
      })
  }

  /** One batch: everything pending now, for the devices that are not connected. */
  private async batch(): Promise<void> {
    const batch = [...this.pending.values()]
    this.pending.clear()
    if (this.dropped) this.ctx.log.warn({ dropped: this.dropped, limit: this.maxPending }, 'push batch full: wake-ups dropped')
    this.dropped = 0
    const online = await this.connected(batch.map((p) => p.device))
    const offline = batch.filter((p) => !online.has(deviceKey(p.device)))
    if (!offline.length) return
    const devices = offline.map((p) => p.device)
    const [registrations, muted] = await Promise.all([this.ctx.store.push.forDevices(devices), this.mutedAmong(offline)])
    await Promise.all(offline.map((p, i) => this.call({ ...p, registrations: registrations[i]!, muted: muted.has(`${p.device.userId}\n${p.conversationId}`) })))
  }

  /** The (user, conversation) pairs of `batch` the user muted, as `user\nconversation`: one read per pair. */
  private async mutedAmong(batch: Pending[]): Promise<Set<string>> {
    const pairs = [...new Set(batch.map((p) => `${p.device.userId}\n${p.conversationId}`))]
    const flags = await Promise.all(pairs.map((k) => this.ctx.store.safety.isMuted(k.split('\n')[0]!, k.split('\n')[1]!)))
    return new Set(pairs.filter((_, i) => flags[i]))
  }

  /** Which of `devices` have a registered socket on any node. On an adapter failure: none (a spare push beats a missed one). */
  private async connected(devices: DeviceAddress[]): Promise<Set<string>> {
    const rooms = [...new Set(devices.map(deviceRoom))]
    try {
      const sockets = await this.ctx.io.in(rooms).fetchSockets()
      return new Set(sockets.filter((s) => s.data.deviceId).map((s) => deviceKey({ userId: s.data.userId, deviceId: s.data.deviceId! })))
    } catch (e) {
      this.ctx.reportError(e, { where: 'onOfflineDelivery', event: 'fetch-sockets' })
      return new Set()
    }
  }

  /** One hook call, isolated: its failure or slowness is reported, never thrown. */
  private async call(delivery: OfflineDelivery): Promise<void> {
    const { device } = delivery
    const context = { where: 'onOfflineDelivery' as const, userId: device.userId, deviceId: device.deviceId }
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), PUSH_HOOK_TIMEOUT_MS)
    })
    const call = Promise.resolve()
      .then(() => this.hook(delivery, { removeRegistration: (id) => this.ctx.store.push.unregister(device, id) }))
      .then(() => 'done' as const, (e: unknown) => {
        this.ctx.reportError(e, context)
        return 'failed' as const
      })
    try {
      if ((await Promise.race([call, timeout])) === 'timeout') {
        this.ctx.reportError(new TimeoutError('onOfflineDelivery did not settle in time', { operation: 'onOfflineDelivery', ms: PUSH_HOOK_TIMEOUT_MS }), context)
      }
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * Checks the push options of `createParleyServer`.
 * @throws {TypeError} `onOfflineDelivery` is not a function. @throws {RangeError} `pushCoalesceMs` out of 0..MAX_PUSH_COALESCE_MS.
 */
export function checkPushOptions(o: { onOfflineDelivery?: unknown; pushCoalesceMs?: unknown }): void {
  if (o.onOfflineDelivery !== undefined && typeof o.onOfflineDelivery !== 'function') throw new TypeError('"onOfflineDelivery" expected a function')
  const ms = o.pushCoalesceMs
  if (ms !== undefined && (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_PUSH_COALESCE_MS)) {
    throw new RangeError(`"pushCoalesceMs" expected an integer 0..${MAX_PUSH_COALESCE_MS}, got ${String(ms)}`)
  }
}
