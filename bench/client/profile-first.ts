/**
 * Profiles the first message between two fresh clients: wraps each await on the path
 * (requests, key-store calls, directory/session/outbox/inbox steps) with timestamps and
 * prints a timeline relative to send(). Diagnostic only; not part of `npm run bench`.
 */
import { createServer } from 'node:http'
import pino from 'pino'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore, type KeyStore } from '@parley/client'
import { Connection } from '../../packages/client/src/connection.js'
import { Directory } from '../../packages/client/src/sessions/directory.js'
import { Sessions } from '../../packages/client/src/sessions/sessions.js'
import { Outbox } from '../../packages/client/src/delivery/outbox.js'
import { Inbox } from '../../packages/client/src/delivery/inbox.js'

let t0 = 0
let on = false
const log: string[] = []
const mark = (s: string) => on && log.push(`${(performance.now() - t0).toFixed(2).padStart(8)} ms  ${s}`)

function wrap(proto: Record<string, unknown>, name: string, label: (args: unknown[]) => string) {
  const orig = proto[name] as (...a: unknown[]) => Promise<unknown>
  proto[name] = async function (this: unknown, ...args: unknown[]) {
    const l = label(args)
    const s = performance.now()
    mark(`> ${l}`)
    try {
      return await orig.apply(this, args)
    } finally {
      mark(`< ${l} (${(performance.now() - s).toFixed(2)} ms)`)
    }
  }
}
wrap(Connection.prototype as never, 'request', (a) => `request ${String(a[0])}`)
wrap(Directory.prototype as never, 'fetch', (a) => `directory.fetch ${String(a[0])}`)
wrap(Directory.prototype as never, 'targets', () => 'directory.targets')
wrap(Directory.prototype as never, 'deviceEntry', () => 'directory.deviceEntry')
wrap(Sessions.prototype as never, 'encryptFor', () => 'sessions.encryptFor')
wrap(Sessions.prototype as never, 'decrypt', () => 'sessions.decrypt')
wrap(Outbox.prototype as never, 'build', () => 'outbox.build')
wrap(Outbox.prototype as never, 'preflightE2ee', () => 'outbox.preflight')
wrap(Inbox.prototype as never, 'process', () => 'inbox.process')

function timedStore(name: string): KeyStore {
  const s = memoryKeyStore()
  for (const m of ['get', 'set', 'saveChanges', 'keys'] as const) {
    const orig = s[m].bind(s) as (...a: unknown[]) => Promise<unknown>
    ;(s as unknown as Record<string, unknown>)[m] = async (...a: unknown[]) => {
      const st = performance.now()
      const r = await orig(...a)
      const d = performance.now() - st
      if (d > 0.3) mark(`  ${name}.store.${m}(${m === 'saveChanges' ? Object.keys(a[0] as object).join(',') : String(a[0])}) ${d.toFixed(2)} ms`)
      return r
    }
  }
  return s
}

const http = createServer()
const parley = createParleyServer({
  httpServer: http, policy: 'default-e2ee', store: memoryStore(), logger: pino({ level: 'silent' }),
  authenticate: (h) => ({ userId: String((h.auth as { token: string }).token) }),
})
await parley.ready
await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
const runs = Number(process.argv[2] ?? 3)
for (let run = 0; run < runs; run++) {
  const a = await createParleyClient({ deliveryReceipts: false, url, token: `pa${run}`, keyStore: timedStore('a'), socketOptions: { transports: ['websocket'] } })
  const b = await createParleyClient({ deliveryReceipts: false, url, token: `pb${run}`, keyStore: timedStore('b'), socketOptions: { transports: ['websocket'] } })
  const ca = await a.conversations.open(`pb${run}`)
  const got = new Promise<number>((resolve) => b.on('message', (m) => m.status === 'received' && resolve(performance.now())))
  log.length = 0
  t0 = performance.now()
  on = true
  const sent = ca.send({ text: 'hello' }).then(() => mark('send() resolved'))
  const end = await got
  mark('received at b')
  await sent
  on = false
  console.log(`--- run ${run}: ${(end - t0).toFixed(2)} ms`)
  if (run === runs - 1 || process.env.ALL) console.log(log.join('\n'))
  await a.close()
  await b.close()
}
await parley.close()
http.close()
