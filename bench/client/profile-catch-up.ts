/**
 * Runs only the catch-up figure of bench/client (one device offline while N E2EE messages
 * arrive, then it reconnects) against an in-process server, so it can be profiled:
 * `npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@parley/source client/profile-catch-up.ts [N]`.
 * Diagnostic only; not part of `npm run bench`.
 */
import { parleyCatchUp } from './catch-up.js'
import { parleyServer } from './harness.js'

const COUNT = Number(process.argv[2] ?? 5000)
const server = await parleyServer()
const cpu0 = process.cpuUsage()
const ms = await parleyCatchUp(server.url, COUNT, 'profile')
const cpu = process.cpuUsage(cpu0)
console.log(`catch-up of ${COUNT}: ${ms.toFixed(0)} ms after reconnect; whole run ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (sends included)`)
await server.close()
