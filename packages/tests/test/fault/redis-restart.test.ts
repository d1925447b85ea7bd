/**
 * Fault: Redis (the streams adapter carrying live fan-out between nodes) is killed and started
 * again, empty, while two nodes serve: every sender is on node A and every receiver on node B,
 * so each live delivery has to cross Redis. Proves: both nodes survive the outage and resume
 * fan-out when Redis is back; sends keep being stored and acked meanwhile (the store is the
 * truth); deliveries lost with the stream reach their receivers exactly once without a
 * reconnect (the next live delivery shows the inbox gap and the client catches up); no
 * half-written rows; every process that should survive is up.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { Policy } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { checkLedger, checkStore } from './_checks.js'
import { spawnNode } from './_node.js'
import { FAULT_POLICIES, PAIRS, SEND_INTERVAL_MS, SETTLE_MS, summary } from './_scenario.js'
import { postgresUnavailable, redisUnavailable, servicesUp, throwawayServices } from './_services.js'
import { openPairs } from './_traffic.js'

/** How long Redis stays down. */
const OUTAGE_MS = 2_000
const up = servicesUp('Redis restart', postgresUnavailable(), redisUnavailable())

describe.skipIf(!up)('fault: Redis stopped and restarted while two nodes serve', () => {
  const services = throwawayServices({ redis: true })

  it.each(FAULT_POLICIES)('%s', async (policy: Policy) => {
    const databaseUrl = await services.postgres.createDatabase()
    const config = { policy, databaseUrl, redisUrl: services.redis.url, streamName: `fault-${randomBytes(4).toString('hex')}` }
    // Both migrate at once: the advisory lock makes that safe.
    const [nodeA, nodeB] = await Promise.all([spawnNode(config), spawnNode(config)])
    const traffic = await openPairs(nodeA.url, PAIRS, nodeB.url)
    try {
      traffic.start(SEND_INTERVAL_MS)
      await waitFor(() => traffic.ledger.received.length >= 40, 20_000, '40 cross-node deliveries before the outage')
      await services.redis.stop()
      const atStop = { acked: traffic.ledger.acked.size, received: traffic.ledger.received.length }
      await new Promise((r) => setTimeout(r, OUTAGE_MS))
      // Control: the outage was real — sends were acked across it, and live fan-out stopped.
      expect(await services.redis.alive()).toBe(false)
      expect(traffic.ledger.acked.size).toBeGreaterThan(atStop.acked + 10)
      const ackedDuring = traffic.ledger.acked.size - atStop.acked
      const receivedDuring = traffic.ledger.received.length - atStop.received
      expect(receivedDuring).toBeLessThan(ackedDuring)
      await services.redis.start()
      await new Promise((r) => setTimeout(r, 1_000))
      traffic.stop()
      await traffic.settle(SETTLE_MS)
      await traffic.probe(SETTLE_MS)
      const figures = checkLedger(traffic.ledger)
      expect([...traffic.ledger.refused.values()]).toEqual([])
      const store = await checkStore(databaseUrl, traffic.ledger)
      for (const p of traffic.pairs) expect(p.sender.connected && p.receiver.connected).toBe(true)
      expect(nodeA.alive() && nodeB.alive()).toBe(true)
      expect(await services.redis.alive()).toBe(true)
      expect(await services.postgres.alive()).toBe(true)
      const reconnects = [...traffic.ledger.reconnects.values()].reduce((a, b) => a + b, 0)
      summary('Redis restart', policy, { ...figures, ...store, outageMs: OUTAGE_MS, ackedDuringOutage: ackedDuring, receivedDuringOutage: receivedDuring, reconnects })
    } finally {
      await traffic.close()
      await nodeA.kill('SIGKILL')
      await nodeB.kill('SIGKILL')
    }
  }, 120_000)
})
