/**
 * Runs only the E2EE throughput part of bench/client (2,000 messages, 100 in flight) so it can
 * be profiled: `npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@parley/source client/profile-throughput.ts`.
 * Diagnostic only; not part of `npm run bench`.
 */
import { createServer } from 'node:http'
import pino from 'pino'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore } from '@parley/client'

const COUNT = Number(process.argv[2] ?? 2000)
const http = createServer()
const parley = createParleyServer({
  httpServer: http, policy: 'default-e2ee', store: memoryStore(), logger: pino({ level: 'silent' }),
  authenticate: (h) => ({ userId: String((h.auth as { token: string }).token) }),
  limits: { connection: { capacity: 1e6, refillPerSecond: 1e6 }, user: { capacity: 1e6, refillPerSecond: 1e6 } },
})
await parley.ready
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
const opts = (u: string) => ({ url, token: u, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
const alice = await createParleyClient(opts('alice'))
const bob = await createParleyClient(opts('bob'))
const ca = await alice.conversations.open('bob')
await ca.send({ text: 'warm-up' })
let got = 0
let done!: () => void
const finished = new Promise<void>((r) => (done = r))
bob.on('message', (m) => m.status === 'received' && m.text !== 'warm-up' && ++got === COUNT && done())
const start = performance.now()
const cpu0 = process.cpuUsage()
let next = 0
await Promise.all(Array.from({ length: 100 }, async () => {
  while (next < COUNT) {
    next++
    await ca.send({ text: `${next}:${'x'.repeat(64)}` })
  }
}))
await finished
const cpu = process.cpuUsage(cpu0)
console.log(`${COUNT} messages: ${(COUNT / ((performance.now() - start) / 1000)).toFixed(0)} msg/s, ${((cpu.user + cpu.system) / 1000 / COUNT).toFixed(3)} ms CPU per message`)
await alice.close()
await bob.close()
await parley.close()
http.close()
