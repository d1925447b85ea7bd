/**
 * The world of the group bench (bench/client/group.ts): N users with two devices each (the
 * second linked from the first, as an app links a phone and a laptop), connected to one Parley
 * server child, and a delivery recorder: which device emitted which numbered message when.
 * Nothing here knows how a group is encrypted: the clients do whatever they do.
 */
import { memoryKeyStore, requestDeviceLink, type ParleyClient } from '@parley/client'
import { client } from './harness.js'

/** Users registered at once (key generation is CPU-bound; 2 cores are shared). */
const REGISTER_BATCH = 10
const CONNECT_TIMEOUT_MS = 120_000
const WAIT_TIMEOUT_MS = 300_000
const socketOptions = { transports: ['websocket'] }

export interface BenchUser {
  userId: string
  first: ParleyClient
  second: ParleyClient
}

/** Polls `check` every 20 ms until it holds. @throws after `ms` with `what`. */
export async function waitFor(check: () => boolean, what: string, ms = WAIT_TIMEOUT_MS): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error(`group bench: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Waits until a 100 ms timer fires on time 10 times running: fresh clients' background work (prekey upkeep, link follow-ups) is done. */
export async function settle(): Promise<void> {
  for (let quiet = 0; quiet < 10;) {
    const at = performance.now()
    await new Promise((r) => setTimeout(r, 100))
    quiet = performance.now() - at < 130 ? quiet + 1 : 0
  }
}

/** Registers `count` users `<prefix>000…`, each with a first device and a second one linked from it. */
export async function users(url: string, prefix: string, count: number): Promise<BenchUser[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`)
  const out: BenchUser[] = []
  for (let i = 0; i < ids.length; i += REGISTER_BATCH) {
    out.push(...await Promise.all(ids.slice(i, i + REGISTER_BATCH).map(async (userId) => {
      const first = await client(url, userId)
      const link = await requestDeviceLink({ deliveryReceipts: false, url, token: userId, keyStore: memoryKeyStore(), socketOptions, connectTimeoutMs: CONNECT_TIMEOUT_MS, timeoutMs: CONNECT_TIMEOUT_MS })
      await first.linkDevice(link.code)
      return { userId, first, second: await link.client }
    })))
  }
  return out
}

/**
 * Records, per numbered message (`<tag>:<i>:…`) of one conversation, when each listening device
 * emitted it; `done(i)` resolves once every one of them did. Latency is measured from `sentAt`.
 */
export class Deliveries {
  private readonly sentAt = new Map<number, number>()
  private readonly seen = new Map<number, Set<ParleyClient>>()
  private readonly waiting = new Map<number, () => void>()
  readonly latencies: number[] = []
  private readonly offs: (() => void)[] = []

  constructor(private readonly conversationId: string, private readonly tag: string, private readonly devices: readonly ParleyClient[]) {
    for (const c of devices) {
      this.offs.push(c.on('message', (m) => {
        if (m.conversationId !== this.conversationId || m.status === 'pending' || m.sender.deviceId === c.deviceId) return
        const parts = m.text.split(':')
        if (parts[0] !== this.tag) return
        const i = Number(parts[1])
        const at = this.sentAt.get(i)
        const seen = this.seen.get(i)
        if (at === undefined || !seen || seen.has(c)) return
        seen.add(c)
        this.latencies.push(performance.now() - at)
        if (seen.size === this.devices.length) this.waiting.get(i)?.()
      }))
    }
  }

  /** Marks message `i` as sent now; resolves once every device emitted it. */
  expect(i: number): Promise<void> {
    this.sentAt.set(i, performance.now())
    this.seen.set(i, new Set())
    return new Promise((resolve) => this.waiting.set(i, resolve))
  }

  stop(): void {
    for (const off of this.offs) off()
  }
}
