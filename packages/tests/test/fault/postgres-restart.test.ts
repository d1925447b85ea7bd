/**
 * Fault: PostgreSQL is stopped at once (`pg_ctl -m immediate`, a crash) under load and started
 * again a moment later, under a server node in its own process; meanwhile every client's
 * connection drops too, so clients reconnect and say hello while the database is down. Proves: the node survives
 * the outage and reconnects its pool by itself; sends refused during the outage are typed
 * (`store_failure`, not `internal`) and stay queued in the client, which resends them; a
 * connection that could not be set up is reopened by the client (no stuck half-connected
 * client); every
 * acked message is delivered exactly once; the store holds no half-written rows; the same
 * client objects work afterwards.
 */
import { describe, expect, it } from 'vitest'
import type { Policy } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { checkLedger, checkStore } from './_checks.js'
import { spawnNode } from './_node.js'
import { FAULT_POLICIES, PAIRS, SEND_INTERVAL_MS, SETTLE_MS, summary } from './_scenario.js'
import { postgresUnavailable, servicesUp, throwawayServices } from './_services.js'
import { startTcpProxy } from './_tcp-proxy.js'
import { openPairs } from './_traffic.js'

/** How long PostgreSQL stays down. */
const OUTAGE_MS = 1_500
const up = servicesUp('PostgreSQL restart', postgresUnavailable())

describe.skipIf(!up)('fault: PostgreSQL restarted under load', () => {
  const services = throwawayServices()

  it.each(FAULT_POLICIES)('%s', async (policy: Policy) => {
    const databaseUrl = await services.postgres.createDatabase()
    const node = await spawnNode({ policy, databaseUrl })
    const link = await startTcpProxy(() => [node.port])
    const traffic = await openPairs(link.url, PAIRS)
    try {
      traffic.start(SEND_INTERVAL_MS)
      await waitFor(() => traffic.ledger.acked.size >= 40, 20_000, '40 acks before the outage')
      await services.postgres.stop()
      const atStop = { queued: traffic.ledger.queued.size, acked: traffic.ledger.acked.size }
      // Every client also loses its connection during the outage, so it must set up again
      // (hello, catch-up) while the database is down.
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 3))
      expect(link.cutAll()).toBeGreaterThanOrEqual(PAIRS * 2)
      await new Promise((r) => setTimeout(r, (OUTAGE_MS * 2) / 3))
      // Control: the outage was real and sends were outstanding across it.
      expect(await services.postgres.alive()).toBe(false)
      expect(traffic.ledger.queued.size).toBeGreaterThan(atStop.queued)
      await services.postgres.start()
      await new Promise((r) => setTimeout(r, 1_000))
      traffic.stop()
      await traffic.settle(SETTLE_MS)
      await traffic.probe(SETTLE_MS)
      const figures = checkLedger(traffic.ledger)
      // An outage is transient: sends refused with store_failure stay queued and are resent.
      expect([...traffic.ledger.refused.values()]).toEqual([])
      const store = await checkStore(databaseUrl, traffic.ledger)
      for (const p of traffic.pairs) expect(p.sender.connected && p.receiver.connected).toBe(true)
      for (const n of traffic.ledger.reconnects.values()) expect(n).toBeGreaterThan(0)
      expect(node.alive()).toBe(true)
      summary('PostgreSQL restart', policy, { ...figures, ...store, ackedAtStop: atStop.acked, outageMs: OUTAGE_MS, clientErrors: traffic.ledger.errors.length })
      console.log(`[fault] PostgreSQL restart (${policy}) client errors: ${[...new Set(traffic.ledger.errors.map((e) => e.error.code))].join(', ')}`)
    } finally {
      await traffic.close()
      await link.close()
      await node.kill('SIGKILL')
    }
  }, 120_000)
})
