/**
 * bench/client, groups (issue 16): a 50-member group, 2 devices each (100 clients in this
 * process, every second device linked from the first), beside a 1:1 conversation between two
 * of the same users (2 devices each) in the same run and on the same Parley server (a child
 * process, memoryStore), in default-e2ee and in server-side:
 *
 * - **send CPU on the sender** — this process's CPU time per message while only the sending
 *   device is connected (every other device closed, so none of their decryption is counted),
 *   1:1 and group blocks alternating; the figure is group ÷ 1:1 against the target
 *   (a group send costs the sender ≤ 3× a 1:1 send);
 * - **fan-out on the server** — deliveries per second (a message × every other device of the
 *   conversation) and the server child's CPU per message, with every device online and
 *   `IN_FLIGHT` messages in flight, a message counting as in flight until every device emitted it;
 * - **delivery p50/p99** — ms from `send()` until a device emitted the message, over every
 *   (message, device) pair of that load.
 *
 * The clients are used as an app uses them: however `@parley/client` encrypts a group message
 * (pairwise fan-out, or sender keys behind the `GroupProtocol` seam), that is what is measured.
 * Before measuring, every device sends one 1:1 message back to the sender, so the sender's
 * sessions are past their first (PQXDH) message, as in a conversation that has gone on a while.
 *
 * `--quick` (or CLIENT_GROUP_QUICK=1): fewer messages and one delivery round, a few minutes.
 * Results: bench/results/client-group.txt and client-group.node-v<version>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Policy } from '@parley/protocol'
import type { Conversation, ParleyClient } from '@parley/client'
import { load, machineLine, versionsLine, versionsOf } from '../machine.js'
import { Recorder } from '../report/record.js'
import { startServer, type RelayChild } from '../relay/harness.js'
import { Deliveries, settle, users, waitFor, type BenchUser } from './group-world.js'
import { pct, TEXT } from './harness.js'

const QUICK = process.argv.includes('--quick') || process.env.CLIENT_GROUP_QUICK === '1'
/** The group size: 50 members, 2 devices each. */
export const GROUP_MEMBERS = 50
/** Messages each sender-CPU block sends (1:1 and group blocks alternate `CPU_ROUNDS` times). */
const CPU_MESSAGES = QUICK ? 200 : 600
const CPU_ROUNDS = 5
/** Messages per delivery run, and runs per conversation (alternating 1:1 and group). */
const DELIVERY_MESSAGES = QUICK ? 30 : 150
const DELIVERY_ROUNDS = QUICK ? 1 : 3
/** Messages in flight: sent and not yet emitted by every device of the conversation. */
const IN_FLIGHT = 10
const POLICIES: Policy[] = ['default-e2ee', 'server-side']
/** Issue 16's target: a group send costs the sender at most this many times a 1:1 send. */
export const GROUP_SEND_CPU_TARGET = 3
const RESULTS = fileURLToPath(new URL('../results/client-group.txt', import.meta.url))
const VERSIONS = ['socket.io', 'socket.io-client', '@noble/curves', '@noble/ciphers', '@noble/hashes', '@noble/post-quantum']

/**
 * A full garbage collection before each sender-CPU block, so the block does not pay for what the
 * setup and the other block left behind (the flag must be set before a context is created).
 */
setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

const fmt = (n: number) => n.toFixed(2)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

interface Delivery { deliveriesPerSec: number; msgsPerSec: number; p50: number; p99: number; serverCpuUsPerMsg: number; serverCpuUsPerDelivery: number }

/** Sends `count` numbered messages, `IN_FLIGHT` at a time, each in flight until every device in `to` emitted it. */
async function deliver(server: RelayChild, conv: Conversation, to: readonly ParleyClient[], tag: string, count: number): Promise<Delivery> {
  const d = new Deliveries(conv.id, tag, to)
  await server.measure()
  const start = performance.now()
  let next = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) {
      const i = next++
      const all = d.expect(i)
      await conv.send({ text: `${tag}:${i}:${TEXT}` })
      await all
    }
  }))
  const secs = (performance.now() - start) / 1000
  const stats = await server.stats()
  d.stop()
  const lat = d.latencies.sort((a, b) => a - b)
  return {
    deliveriesPerSec: lat.length / secs, msgsPerSec: count / secs, p50: pct(lat, 50), p99: pct(lat, 99),
    serverCpuUsPerMsg: (1000 * stats.cpuMs) / count, serverCpuUsPerDelivery: (1000 * stats.cpuMs) / lat.length,
  }
}

/** This process's CPU µs per message for `count` sends (`IN_FLIGHT` awaiting their ack). */
async function sendCpu(conv: Conversation, tag: string, count: number): Promise<number> {
  let next = 0
  collectGarbage()
  const before = process.cpuUsage()
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) await conv.send({ text: `${tag}:${next++}:${TEXT}` })
  }))
  const cpu = process.cpuUsage(before)
  return (cpu.user + cpu.system) / count
}

/** Sets up the group and the 1:1, warms every session, then measures; returns the sender-CPU ratio. */
async function runPolicy(policy: Policy, out: (s: string) => void, rec: Recorder): Promise<void> {
  const server = await startServer({ kind: 'parley', policy, store: 'memory' })
  let world: BenchUser[] = []
  try {
    const setupStart = performance.now()
    world = await users(server.url, policy === 'server-side' ? 'gs' : 'ge', GROUP_MEMBERS)
    const [alice, bob] = [world[0]!, world[1]!]
    const sender = alice.first
    const group = await sender.conversations.create({ members: world.slice(1).map((u) => u.userId), title: 'bench' })
    const direct = await sender.conversations.open(bob.userId)
    const groupDevices = world.flatMap((u) => [u.first, u.second]).filter((c) => c !== sender)
    const directDevices = [alice.second, bob.first, bob.second]
    await waitFor(() => groupDevices.every((c) => c.conversations.get(group.id)?.members.length === GROUP_MEMBERS), 'every device to verify the roster')
    // Warm-up: sessions (or whatever the group protocol distributes) set up outside the measurement.
    const warmGroup = new Deliveries(group.id, 'warm', groupDevices)
    const warmDirect = new Deliveries(direct.id, 'warm', directDevices)
    const warm = [warmGroup.expect(0), warmDirect.expect(0)]
    await group.send({ text: `warm:0:${TEXT}` })
    await direct.send({ text: `warm:0:${TEXT}` })
    await Promise.all(warm)
    warmGroup.stop()
    warmDirect.stop()
    // Every device answers the sender once (1:1), so the sender's sessions are past PQXDH.
    const answered = new Set<string>()
    const offAnswers = sender.on('message', (m) => m.text.startsWith('answer:') && answered.add(`${m.sender.userId}/${m.sender.deviceId}`))
    for (const c of groupDevices) await (await c.conversations.open(c.userId === alice.userId ? bob.userId : alice.userId)).send({ text: `answer:${c.deviceId}` })
    await waitFor(() => answered.size === groupDevices.length, 'every device to answer')
    offAnswers()
    await settle()
    out(`  ${policy}: ${GROUP_MEMBERS} users × 2 devices registered and linked, group verified by all, sessions warm in ${fmt((performance.now() - setupStart) / 1000)} s (load ${load()})`)

    const rounds: { direct: Delivery; group: Delivery }[] = []
    for (let r = 0; r < DELIVERY_ROUNDS; r++) {
      const x = { direct: await deliver(server, direct, directDevices, `d${r}`, DELIVERY_MESSAGES), group: await deliver(server, group, groupDevices, `g${r}`, DELIVERY_MESSAGES) }
      rounds.push(x)
      out(`  delivery round ${r + 1}: 1:1 ${fmt(x.direct.deliveriesPerSec)} deliveries/s, group ${fmt(x.group.deliveriesPerSec)} deliveries/s (load ${load()})`)
    }
    const mid = rounds[rounds.map((x) => x.group.deliveriesPerSec).indexOf(median(rounds.map((x) => x.group.deliveriesPerSec)))]!

    // Sender CPU: only the sending device stays connected.
    await Promise.all(world.flatMap((u) => [u.first, u.second]).filter((c) => c !== sender).map((c) => c.close()))
    await settle()
    const cpu: { direct: number; group: number }[] = []
    for (let r = 0; r < CPU_ROUNDS; r++) {
      const x = { direct: await sendCpu(direct, `cd${r}`, CPU_MESSAGES), group: await sendCpu(group, `cg${r}`, CPU_MESSAGES) }
      cpu.push(x)
      out(`  sender CPU round ${r + 1}: 1:1 ${fmt(x.direct)} µs/msg, group ${fmt(x.group)} µs/msg = ${fmt(x.group / x.direct)}×  (load ${load()})`)
    }
    const ratios = cpu.map((x) => x.group / x.direct)
    const ratio = median(ratios)
    const c = cpu[ratios.indexOf(ratio)]!
    const ok = ratio <= GROUP_SEND_CPU_TARGET
    out(`  ${policy} 1:1 (3 other devices)     send CPU ${fmt(c.direct).padStart(9)} µs/msg  | ${fmt(mid.direct.deliveriesPerSec).padStart(8)} deliveries/s  p50 ${fmt(mid.direct.p50)} ms  p99 ${fmt(mid.direct.p99)} ms  server CPU ${fmt(mid.direct.serverCpuUsPerMsg)} µs/msg`)
    out(`  ${policy} group (${2 * GROUP_MEMBERS - 1} other devices)  send CPU ${fmt(c.group).padStart(9)} µs/msg  | ${fmt(mid.group.deliveriesPerSec).padStart(8)} deliveries/s  p50 ${fmt(mid.group.p50)} ms  p99 ${fmt(mid.group.p99)} ms  server CPU ${fmt(mid.group.serverCpuUsPerMsg)} µs/msg (${fmt(mid.group.serverCpuUsPerDelivery)} µs/delivery)`)
    out(`  ${policy}: group send costs the sender ${fmt(ratio)}× a 1:1 send (median of ${CPU_ROUNDS})  target ≤ ${GROUP_SEND_CPU_TARGET}×  ${ok ? 'met' : 'MISSED'}`)

    rec.section(`${policy}: ${GROUP_MEMBERS}-member group (2 devices each) beside a 1:1, ${IN_FLIGHT} in flight`)
    rec.row(`${policy} 1:1: sender`, { 'CPU µs/msg': c.direct })
    rec.row(`${policy} group: sender`, { 'CPU µs/msg': c.group })
    for (const [name, d] of [['1:1', mid.direct], ['group', mid.group]] as const) {
      rec.row(`${policy} ${name}: server fan-out and delivery`, { 'deliveries/s': d.deliveriesPerSec, 'msg/s': d.msgsPerSec, 'p50 ms': d.p50, 'p99 ms': d.p99, 'server CPU µs/msg': d.serverCpuUsPerMsg, 'server CPU µs/delivery': d.serverCpuUsPerDelivery })
    }
    rec.figure({ name: 'group send CPU vs 1:1', subject: `${policy} group: sender`, baseline: `${policy} 1:1: sender`, metric: 'CPU µs/msg', value: ratio, unit: '×', target: { op: '<=', value: GROUP_SEND_CPU_TARGET } })
    rec.figure({ name: 'group server CPU per delivery vs 1:1', subject: `${policy} group: server fan-out and delivery`, baseline: `${policy} 1:1: server fan-out and delivery`, metric: 'server CPU µs/delivery', value: mid.group.serverCpuUsPerDelivery / mid.direct.serverCpuUsPerDelivery, unit: '×' })
    rec.figure({ name: 'group delivery p99 vs 1:1', subject: `${policy} group: server fan-out and delivery`, baseline: `${policy} 1:1: server fan-out and delivery`, metric: 'p99 ms', value: mid.group.p99 / mid.direct.p99, unit: '×' })
  } finally {
    await Promise.all(world.flatMap((u) => [u.first, u.second]).map((c) => c.close().catch(() => undefined)))
    await server.stop()
  }
}

/** Runs the group part of bench/client and writes bench/results/client-group.{txt,node-v….json}. */
export async function runGroupBench(): Promise<void> {
  const lines: string[] = []
  const out = (s: string) => {
    console.log(s)
    lines.push(s)
  }
  out(`# bench/client groups — ${new Date().toISOString()}${QUICK ? ' (quick)' : ''}`)
  out(machineLine())
  out(versionsLine(VERSIONS))
  out(`${GROUP_MEMBERS}-member group, 2 devices each, beside a 1:1 (2 devices each) on the same server; sender CPU: ${CPU_ROUNDS} alternating blocks of ${CPU_MESSAGES} sends, other devices offline; delivery: ${DELIVERY_ROUNDS} × ${DELIVERY_MESSAGES} messages, ${IN_FLIGHT} in flight until every device emitted them, all ${2 * GROUP_MEMBERS} clients in this process, Parley server (memoryStore) in a child process`)
  const rec = new Recorder('client-group', versionsOf(VERSIONS))
  for (const policy of POLICIES) await runPolicy(policy, out, rec)
  out(`load average at the end: ${load()}`)
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true })
  writeFileSync(RESULTS, `${lines.join('\n')}\n`)
  out(`results: ${rec.write()}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runGroupBench()
