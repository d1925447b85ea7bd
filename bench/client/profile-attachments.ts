/**
 * Runs only Parley's side of bench/client/attachments.ts (upload, then download, of one file
 * `RUNS` times) so it can be profiled per direction:
 * `ATTACHMENT_PHASE=up npx tsx --cpu-prof --cpu-prof-dir=/tmp/prof --conditions=@parley/source client/profile-attachments.ts`
 * (`up`, `down` or both). Prints wall and CPU time per transfer. Diagnostic only.
 */
import { createServer } from 'node:http'
import { randomFillSync } from 'node:crypto'
import pino from 'pino'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore } from '@parley/client'

const MIB = 1024 * 1024
const FILE_BYTES = Number(process.env.ATTACHMENT_MIB ?? 100) * MIB
const RUNS = Number(process.env.ATTACHMENT_RUNS ?? 3)
const PHASE = process.env.ATTACHMENT_PHASE ?? 'both'
const piece = randomFillSync(new Uint8Array(MIB))
async function* file(): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < FILE_BYTES; off += MIB) yield piece.subarray(0, Math.min(MIB, FILE_BYTES - off))
}

const http = createServer()
const server = createParleyServer({
  httpServer: http, policy: 'default-e2ee', store: memoryStore(), logger: pino({ level: 'silent' }),
  authenticate: (hs) => ({ userId: String((hs.auth as { token?: unknown }).token) }),
})
await server.ready
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
const client = (u: string) => createParleyClient({ url, token: u, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
const [alice, bob] = await Promise.all([client('alice'), client('bob')])
const ca = await alice.conversations.open('bob')
await bob.conversations.open('alice')
const upload = () => alice.attachments.upload(ca, { name: 'f.bin', mime: 'application/octet-stream', data: file(), size: FILE_BYTES })
const timed = async (name: string, f: () => Promise<unknown>) => {
  const cpu = process.cpuUsage()
  const t = performance.now()
  await f()
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  console.log(`${name}: ${ms.toFixed(0)} ms, ${(FILE_BYTES / MIB / (ms / 1000)).toFixed(1)} MiB/s, cpu user ${(used.user / 1000).toFixed(0)} ms system ${(used.system / 1000).toFixed(0)} ms`)
}
const att = await upload()
for (let i = 0; i < RUNS; i++) {
  if (PHASE !== 'down') await timed('upload', upload)
  if (PHASE !== 'up') await timed('download', async () => { for await (const _ of bob.attachments.stream(att)) void _ })
}
await alice.close()
await bob.close()
await server.close()
http.close()
process.exit(0)
