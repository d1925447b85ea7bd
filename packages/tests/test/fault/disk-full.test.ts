/**
 * Fault: the store's disk fills up under load — simulated at the SQL driver of a node in its
 * own process: for a while every write fails as PostgreSQL fails it (SQLSTATE 53100, "No
 * space left on device"), the second write of a transaction included, so a transaction that
 * did not roll back would leave half a message behind. Then the disk is freed. Proves: the node
 * stays up; the refusals are typed `store_failure` (never `internal`), and the clients keep
 * those sends queued and resend them; every acked message is delivered exactly once; nothing
 * unacked is reported as sent; the store holds no half-written rows.
 */
import { describe, expect, it } from 'vitest'
import type { Policy } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { checkLedger, checkStore } from './_checks.js'
import { spawnNode } from './_node.js'
import { FAULT_POLICIES, PAIRS, SEND_INTERVAL_MS, SETTLE_MS, summary } from './_scenario.js'
import { postgresUnavailable, servicesUp, throwawayServices } from './_services.js'
import { openPairs } from './_traffic.js'

/** How long the disk stays full. */
const FULL_MS = 2_000
const up = servicesUp('disk full', postgresUnavailable())

describe.skipIf(!up)('fault: the store failing writes (disk full at the driver)', () => {
  const services = throwawayServices()

  it.each(FAULT_POLICIES)('%s', async (policy: Policy) => {
    const databaseUrl = await services.postgres.createDatabase()
    const node = await spawnNode({ policy, databaseUrl, diskFull: true })
    const traffic = await openPairs(node.url, PAIRS)
    try {
      traffic.start(SEND_INTERVAL_MS)
      await waitFor(() => traffic.ledger.acked.size >= 40, 20_000, '40 acks before the disk fills')
      expect((await node.control('disk-full')).full).toBe(true)
      const atFull = { queued: traffic.ledger.queued.size, acked: traffic.ledger.acked.size }
      await new Promise((r) => setTimeout(r, FULL_MS))
      const freed = await node.control('disk-freed')
      const during = { queued: traffic.ledger.queued.size - atFull.queued, acked: traffic.ledger.acked.size - atFull.acked }
      // Control: writes really failed, and sends queued while the disk was full were held back.
      expect(freed.failures).toBeGreaterThan(0)
      expect(during.acked).toBeLessThan(during.queued)
      await new Promise((r) => setTimeout(r, 500))
      traffic.stop()
      await traffic.settle(SETTLE_MS)
      await traffic.probe(SETTLE_MS)
      const figures = checkLedger(traffic.ledger)
      expect([...traffic.ledger.refused.values()]).toEqual([])
      const store = await checkStore(databaseUrl, traffic.ledger)
      for (const p of traffic.pairs) expect(p.sender.connected && p.receiver.connected).toBe(true)
      expect(node.alive()).toBe(true)
      expect(await services.postgres.alive()).toBe(true)
      summary('disk full', policy, { ...figures, ...store, fullMs: FULL_MS, writesRefused: freed.failures, queuedWhileFull: during.queued, ackedWhileFull: during.acked })
    } finally {
      await traffic.close()
      await node.kill('SIGKILL')
    }
  }, 120_000)
})
