/**
 * Soak: many simulated clients (raw protocol sockets with real device keys, 1:1 pairs) over
 * three server nodes — one per policy, so the mix covers server-side, optional-e2ee and
 * default-e2ee — on one throwaway PostgreSQL, each client sending to its partner about once a
 * second for a fixed time, then stopping by itself. Prints throughput, ack and delivery p50/p99,
 * the error count and each node's heap and RSS (after a forced GC) before and after.
 * Asserts: zero errors (every send acked, every acked message delivered exactly once, no
 * timeouts), every node up, and no memory growth beyond a generous bound.
 *
 * CI runs 96 clients × 20 s (2 cores, 3 Node versions). The full run is 500 clients × 60 s:
 * `SOAK=full npx vitest run test/fault/soak.test.ts` (or SOAK_CLIENTS / SOAK_SECONDS).
 * Timing figures are printed, never asserted (performance belongs in bench/).
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Delivery, Policy } from '@parley/protocol'
import { connectDevice, type TestDevice } from '../../../server/test/helpers/client.js'
import { e2eeSend, makeTestUser, plainSend } from '../../../server/test/helpers/device.js'
import { spawnNode, type ParleyNode } from './_node.js'
import { postgresUnavailable, servicesUp, startPostgres, type ThrowawayPostgres } from './_services.js'

const FULL = process.env.SOAK === 'full'
/** Simulated clients in all (pairs split evenly over three policies, so rounded down to a multiple of 6). */
export const SOAK_CLIENTS = Number(process.env.SOAK_CLIENTS ?? (FULL ? 500 : 96))
/** How long they send. */
export const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? (FULL ? 60 : 20))
/** Each client sends one message per this interval (jittered start). */
const SEND_EVERY_MS = 1_000
/** A client with this many unacked sends skips a tick (flow control, not an error). */
const MAX_IN_FLIGHT = 8
/** How long an ack may take before it counts as an error. */
const ACK_TIMEOUT_MS = 15_000
/** Growth allowed after a forced GC, per node (generous: a soak catches leaks, not noise). */
export const MAX_RSS_GROWTH_MB = 150
export const MAX_HEAP_GROWTH_MB = 60
const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

const up = servicesUp('soak', postgresUnavailable())
const mb = (b: number) => Math.round(b / 1024 / 1024)

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

interface Side { device: TestDevice; peer: TestDevice; conversationId: string; policy: Policy; inFlight: number }

describe.skipIf(!up)('soak: simulated clients over three policies', () => {
  let pgsrv: ThrowawayPostgres
  const nodes = new Map<Policy, ParleyNode>()
  beforeAll(async () => {
    pgsrv = await startPostgres()
    const urls: string[] = []
    for (const _ of POLICIES) urls.push(await pgsrv.createDatabase()) // CREATE DATABASE copies template1: one at a time
    const started = await Promise.all(POLICIES.map((policy, i) => spawnNode({ policy, databaseUrl: urls[i]! })))
    POLICIES.forEach((policy, i) => nodes.set(policy, started[i]!))
  }, 120_000)
  afterAll(async () => {
    for (const n of nodes.values()) await n.kill('SIGKILL')
    await pgsrv?.destroy()
  })

  it(`${SOAK_CLIENTS} clients × ${SOAK_SECONDS} s: zero errors, bounded memory`, async () => {
    console.log(`[soak] ${SOAK_CLIENTS} clients × ${SOAK_SECONDS} s${FULL ? ' (full run)' : ' (CI size; SOAK=full for 500 × 60 s)'}`)
    const sides: Side[] = []
    const perPolicy = Math.floor(SOAK_CLIENTS / POLICIES.length / 2)
    for (const policy of POLICIES) {
      const url = nodes.get(policy)!.url
      for (let i = 0; i < perPolicy; i++) {
        const a = await connectDevice(url, makeTestUser(1))
        const b = await connectDevice(url, makeTestUser(1))
        const { conversation } = (await a.socket.emitWithAck('conversation.open', { peerUserId: b.userId })).data as { conversation: { id: string } }
        sides.push({ device: a, peer: b, conversationId: conversation.id, policy, inFlight: 0 }, { device: b, peer: a, conversationId: conversation.id, policy, inFlight: 0 })
      }
    }
    console.log(`[soak] ${sides.length} clients connected and registered (${perPolicy} pairs per policy)`)
    const before = new Map<Policy, { rss: number; heapUsed: number }>()
    for (const [policy, n] of nodes) before.set(policy, await n.memory())

    const sentAt = new Map<string, number>() // messageId → send time
    const receivedAt = new Map<string, number[]>() // messageId → arrival times (duplicates too)
    const ackMs: number[] = []
    const errors: string[] = []
    const acked = new Map<Policy, number>(POLICIES.map((p) => [p, 0]))
    for (const s of sides) {
      s.device.socket.on('message', (d: Delivery) => void receivedAt.set(d.messageId, [...(receivedAt.get(d.messageId) ?? []), performance.now()]))
    }
    const send = (s: Side) => {
      if (s.inFlight >= MAX_IN_FLIGHT) return
      s.inFlight++
      const text = `soak ${randomBytes(6).toString('hex')}`
      const frame = s.policy === 'default-e2ee' ? e2eeSend(s.conversationId, text, [{ userId: s.peer.userId, deviceId: s.peer.deviceId }]) : plainSend(s.conversationId, text)
      const t0 = performance.now()
      s.device.socket.timeout(ACK_TIMEOUT_MS).emit('message.send', frame, (err: Error | null, r?: { ok: boolean; data?: { messageId: string }; error?: { code: string } }) => {
        s.inFlight--
        if (err || !r?.ok) return void errors.push(err ? 'ack timeout' : `refused ${r?.error?.code}`)
        ackMs.push(performance.now() - t0)
        sentAt.set(r.data!.messageId, t0)
        acked.set(s.policy, acked.get(s.policy)! + 1)
      })
    }
    const started = performance.now()
    const timers = sides.map((s) => {
      const start = setTimeout(() => {
        send(s)
        timers.push(setInterval(() => send(s), SEND_EVERY_MS))
      }, Math.random() * SEND_EVERY_MS)
      return start
    })
    await new Promise((r) => setTimeout(r, SOAK_SECONDS * 1_000))
    for (const t of timers) clearTimeout(t), clearInterval(t)
    const sendingMs = performance.now() - started
    // Let what is in flight land (bounded), then count.
    const drainUntil = performance.now() + ACK_TIMEOUT_MS
    while (performance.now() < drainUntil && (sides.some((s) => s.inFlight > 0) || [...sentAt.keys()].some((id) => !receivedAt.has(id)))) {
      await new Promise((r) => setTimeout(r, 50))
    }
    for (const s of sides) if (s.inFlight > 0) errors.push(`${s.inFlight} unacked at the end`)
    const deliveryMs: number[] = []
    for (const [id, t0] of sentAt) {
      const got = receivedAt.get(id)
      if (!got) errors.push(`acked ${id} never delivered`)
      else if (got.length > 1) errors.push(`${id} delivered ${got.length} times`)
      else deliveryMs.push(got[0]! - t0)
    }
    const after = new Map<Policy, { rss: number; heapUsed: number }>()
    for (const [policy, n] of nodes) after.set(policy, await n.memory())
    for (const s of sides) s.device.close()

    ackMs.sort((a, b) => a - b)
    deliveryMs.sort((a, b) => a - b)
    const total = sentAt.size
    console.log(`[soak] messages acked ${total} in ${(sendingMs / 1000).toFixed(1)} s → ${(total / (sendingMs / 1000)).toFixed(0)} msg/s (${POLICIES.map((p) => `${p} ${acked.get(p)}`).join(', ')})`)
    console.log(`[soak] ack p50 ${percentile(ackMs, 50).toFixed(1)} ms p99 ${percentile(ackMs, 99).toFixed(1)} ms; delivery p50 ${percentile(deliveryMs, 50).toFixed(1)} ms p99 ${percentile(deliveryMs, 99).toFixed(1)} ms`)
    console.log(`[soak] errors ${errors.length}${errors.length ? `: ${[...new Set(errors)].slice(0, 5).join('; ')}` : ''}`)
    for (const p of POLICIES) {
      const b = before.get(p)!
      const a = after.get(p)!
      console.log(`[soak] node ${p}: RSS ${mb(b.rss)} → ${mb(a.rss)} MB, heap used ${mb(b.heapUsed)} → ${mb(a.heapUsed)} MB (after GC)`)
    }
    expect(errors).toEqual([])
    expect(total).toBeGreaterThan(0)
    for (const n of nodes.values()) expect(n.alive()).toBe(true)
    for (const p of POLICIES) {
      expect(mb(after.get(p)!.rss - before.get(p)!.rss)).toBeLessThan(MAX_RSS_GROWTH_MB)
      expect(mb(after.get(p)!.heapUsed - before.get(p)!.heapUsed)).toBeLessThan(MAX_HEAP_GROWTH_MB)
    }
  }, 600_000)
})
