/**
 * Fault: a server node is SIGKILLed mid-stream while two nodes share PostgreSQL and Redis
 * behind a load balancer. Clients on the dead node reconnect by themselves (through the
 * balancer, to the surviving node) and resend their queue with the same client message ids.
 * Proves: every acked message is delivered exactly once, nothing unacked is reported sent,
 * the store holds no half-written rows, node B, PostgreSQL and Redis stay up, and the same
 * client objects work afterwards.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Policy } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { checkLedger, checkStore } from './_checks.js'
import { spawnNode } from './_node.js'
import { FAULT_POLICIES, PAIRS, SEND_INTERVAL_MS, SETTLE_MS, summary } from './_scenario.js'
import { postgresUnavailable, redisUnavailable, servicesUp, throwawayServices } from './_services.js'
import { startTcpProxy } from './_tcp-proxy.js'
import { openPairs } from './_traffic.js'

const up = servicesUp('node SIGKILL', postgresUnavailable(), redisUnavailable())

describe.skipIf(!up)('fault: a node SIGKILLed mid-stream (two nodes, PostgreSQL + Redis)', () => {
  const services = throwawayServices({ redis: true })

  it.each(FAULT_POLICIES)('%s', async (policy: Policy) => {
    const databaseUrl = await services.postgres.createDatabase()
    const config = { policy, databaseUrl, redisUrl: services.redis.url, streamName: `fault-${randomBytes(4).toString('hex')}` }
    // Both migrate at once: the advisory lock makes that safe.
    const [nodeA, nodeB] = await Promise.all([spawnNode(config), spawnNode(config)])
    const balancer = await startTcpProxy(() => [nodeA, nodeB].filter((n) => n.alive()).map((n) => n.port))
    const traffic = await openPairs(balancer.url, PAIRS)
    try {
      traffic.start(SEND_INTERVAL_MS)
      // Kill while sends are outstanding: on a fast machine every send of a moment can already
      // be acked (a red CI run: 44 queued, 44 acked), and acks already written by A are still
      // read after the signal. waitFor returns in a microtask, so no ack lands in between.
      await waitFor(() => traffic.ledger.acked.size >= 40 && traffic.ledger.queued.size > traffic.ledger.acked.size, 20_000, '40 acks and a send in flight')
      const atKill = { queued: traffic.ledger.queued.size, acked: traffic.ledger.acked.size }
      nodeA.process.kill('SIGKILL')
      await nodeA.exited
      // Control: the kill landed mid-stream — sends were still outstanding when it was sent.
      expect(atKill.queued).toBeGreaterThan(atKill.acked)
      await new Promise((r) => setTimeout(r, 2_000))
      traffic.stop()
      await traffic.settle(SETTLE_MS)
      await traffic.probe(SETTLE_MS)
      const figures = checkLedger(traffic.ledger)
      expect(figures.refused).toBe(0) // a crash is transient: every queued send ends acked
      const store = await checkStore(databaseUrl, traffic.ledger)
      // Control: clients that were on node A really dropped and came back (no reload).
      const reconnected = [...traffic.ledger.reconnects.values()].filter((n) => n > 0).length
      expect(reconnected).toBeGreaterThan(0)
      for (const p of traffic.pairs) expect(p.sender.connected && p.receiver.connected).toBe(true)
      expect(nodeA.process.signalCode).toBe('SIGKILL')
      expect(nodeB.alive()).toBe(true)
      expect(await services.postgres.alive()).toBe(true)
      expect(await services.redis.alive()).toBe(true)
      expect(traffic.ledger.errors.map((e) => e.error.code)).toEqual([])
      summary('node SIGKILL', policy, { ...figures, ...store, reconnectedClients: reconnected, ackedAtKill: atKill.acked })
    } finally {
      await traffic.close()
      await balancer.close()
      await nodeA.kill('SIGKILL')
      await nodeB.kill('SIGKILL')
    }
  }, 120_000)
})
