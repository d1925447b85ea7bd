/**
 * The honest user of the edge fuzzer, in its own process so the hostile client's work (encoding
 * a 1 MB frame) never delays its measurements: a registered device of a user outside the
 * attacked conversation that asks `conversation.list` every `intervalMs` and, on `stop` over
 * IPC, sends back each request's start (epoch ms) and round-trip time.
 * Run with: node --conditions=@parley/source --import tsx _edge-pinger.ts '<json>'
 */
import { connectDevice, type TestDevice } from '../../../server/test/helpers/client.js'
import { makeTestUser } from '../../../server/test/helpers/device.js'

interface PingerConfig {
  url: string
  intervalMs: number
  timeoutMs: number
}

/** One honest request: when it was sent (epoch ms), how long its answer took, and whether it succeeded. */
export type Ping = [startedAt: number, ms: number, ok: 0 | 1]

const config = JSON.parse(process.argv[2] ?? '{}') as PingerConfig
const honest: TestDevice = await connectDevice(config.url, makeTestUser(1))
const pings: Ping[] = []
let running = true
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') running = false
})
process.send?.({ type: 'ready' })
while (running) {
  const startedAt = Date.now()
  const t0 = performance.now()
  const ack = await (honest.socket.timeout(config.timeoutMs).emitWithAck('conversation.list', {}) as Promise<{ ok: boolean }>).catch(() => ({ ok: false }))
  pings.push([startedAt, Math.round(performance.now() - t0), ack.ok ? 1 : 0])
  await new Promise((r) => setTimeout(r, config.intervalMs))
}
honest.close()
process.send?.({ type: 'pings', pings }, () => process.exit(0))
