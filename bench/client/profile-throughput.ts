/**
 * Runs only the E2EE throughput part of bench/client (2,000 messages, 100 in flight) so it can
 * be profiled: `npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@parley/source client/profile-throughput.ts`.
 * Diagnostic only; not part of `npm run bench`.
 */
import { client, parleyServer } from './harness.js'

const COUNT = Number(process.argv[2] ?? 2000)
const server = await parleyServer()
const alice = await client(server.url, 'alice')
const bob = await client(server.url, 'bob')
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
await server.close()
