/**
 * Fault: every client's connection is cut (TCP reset, both directions) every few hundred ms
 * for several seconds while messages flow, as on a flapping mobile link. Proves: the clients
 * reconnect by themselves each time (same objects, no reload), resend what was not acked with
 * the same client message ids, and catch up from their cursors; every acked message is
 * delivered exactly once, nothing unacked is reported as sent, no half-written rows, and the
 * node is still up.
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

/** Connections are cut this often… */
export const CUT_EVERY_MS = 400
/** …for this long. */
const CUTTING_MS = 5_000
const up = servicesUp('connection cuts', postgresUnavailable())

describe.skipIf(!up)('fault: client connections cut every few hundred ms', () => {
  const services = throwawayServices()

  it.each(FAULT_POLICIES)('%s', async (policy: Policy) => {
    const databaseUrl = await services.postgres.createDatabase()
    const node = await spawnNode({ policy, databaseUrl })
    const link = await startTcpProxy(() => [node.port])
    const traffic = await openPairs(link.url, PAIRS)
    let cutter: NodeJS.Timeout | undefined
    try {
      traffic.start(SEND_INTERVAL_MS)
      await waitFor(() => traffic.ledger.acked.size >= 20, 20_000, '20 acks before the cuts')
      cutter = setInterval(() => link.cutAll(), CUT_EVERY_MS)
      await new Promise((r) => setTimeout(r, CUTTING_MS))
      clearInterval(cutter)
      traffic.stop()
      // Control: connections were really cut, many times, and the clients came back each time.
      expect(link.cuts).toBeGreaterThanOrEqual(CUTTING_MS / CUT_EVERY_MS / 2)
      await traffic.settle(SETTLE_MS)
      await traffic.probe(SETTLE_MS)
      // Every client came back by itself (often a cut lands mid-handshake, so fewer than the cuts).
      for (const n of traffic.ledger.reconnects.values()) expect(n).toBeGreaterThan(0)
      const reconnects = [...traffic.ledger.reconnects.values()].reduce((a, b) => a + b, 0)
      const figures = checkLedger(traffic.ledger)
      expect([...traffic.ledger.refused.values()]).toEqual([])
      const store = await checkStore(databaseUrl, traffic.ledger)
      for (const p of traffic.pairs) expect(p.sender.connected && p.receiver.connected).toBe(true)
      expect(node.alive()).toBe(true)
      expect(traffic.ledger.errors.map((e) => e.error.code)).toEqual([])
      summary('connection cuts', policy, { ...figures, ...store, cuts: link.cuts, reconnects, cutEveryMs: CUT_EVERY_MS })
    } finally {
      clearInterval(cutter)
      await traffic.close()
      await link.close()
      await node.kill('SIGKILL')
    }
  }, 120_000)
})
