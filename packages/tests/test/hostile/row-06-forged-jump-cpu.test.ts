/**
 * Issue 12, row 6: a forged ratchet or prekey message with a huge PN/N used to make the
 * recipient step its chains up to 2 × 25,000 times (~250–630 ms of CPU) before the MAC
 * failed. With wire version 2 the header MAC (under the chain's header key) is checked first:
 * the forgery is rejected with a typed error after a constant amount of DH/KDF work.
 *
 * The bound is asserted structurally, not by timing (timing lives in bench/crypto): within the
 * window in which bob's client processes the forged frame, chain steps (HMAC-SHA256 over the
 * one-byte KDF_CK seeds) are counted through a wrapper around @parley/crypto's kdf module, and
 * DHs through a counting provider given to bob's client. The control shows the counters see
 * bob's work: an honest frame after 300 lost messages costs ≥ 300 chain steps.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { CryptoProvider } from '@parley/crypto'

const work = vi.hoisted(() => ({ chainSteps: 0, kdfRoot: 0 }))
vi.mock('../../../crypto/src/kdf.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../crypto/src/kdf.js')>()
  return {
    ...real,
    // KDF_CK: HMAC(ck, 0x01) and HMAC(ck, 0x02), the only one-byte HMAC inputs Parley has.
    hmacSha256: (k: Uint8Array, m: Uint8Array) => (m.length === 1 && work.chainSteps++, real.hmacSha256(k, m)),
    hkdfSha256: (...a: Parameters<typeof real.hkdfSha256>) => (a[2] === real.LABELS.rootKey && work.kdfRoot++, real.hkdfSha256(...a)),
  }
})

const { MAX_FORWARD_JUMPS, nobleProvider, PREKEY_HEADER_BYTES } = await import('@parley/crypto')
const { connect, startServer, waitFor } = await import('../helpers/parley.js')
const { startTamperProxy } = await import('../helpers/tamper-proxy.js')
const { establishBothWays } = await import('./_world.js')
type ParleyClient = import('@parley/client').ParleyClient
const { memoryKeyStore } = await import('@parley/client')

const dh = { count: 0 }
/** Bob's provider: noble, with every X25519 operation counted. */
const countingProvider: CryptoProvider = {
  ...nobleProvider,
  name: 'counting-noble',
  x25519: (s, k) => (dh.count++, nobleProvider.x25519(s, k)),
  x25519PublicKey: (s) => (dh.count++, nobleProvider.x25519PublicKey(s)),
}

// Ratchet message layout (v2): version ‖ ratchetKey(32) ‖ PN ‖ N ‖ headerMac(32) ‖ ct ‖ tag.
const RATCHET_KEY = 1
const PN = 1 + 32
const N = PN + 4
// PQXDH header: version ‖ IK_A(32) ‖ EK_A(32) ‖ spkId ‖ kemId ‖ flags ‖ opkId ‖ KEM ciphertext.
const BASE_KEY = 1 + 32
const KEM_ID = 1 + 64 + 4
const FLAGS = KEM_ID + 4
const OPK_ID = FLAGS + 1

let cleanup: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

async function setup() {
  const server = await startServer({ policy: 'default-e2ee' })
  cleanup.push(() => server.close())
  const proxy = await startTamperProxy(server.url)
  cleanup.push(() => proxy.close())
  const alice = await connect(server.url, 'alice')
  const bobStore = memoryKeyStore()
  const bob = await connect(proxy.url, 'bob', { provider: countingProvider, keyStore: bobStore })
  const clients: ParleyClient[] = [alice, bob]
  cleanup.push(async () => {
    for (const c of clients) await c.close()
  })
  const seen: any[] = []
  let plan: { kind: 'forge'; f: (frame: any) => any } | { kind: 'drop'; left: number } | null = null
  const windows: string[] = []
  // Lost for good: the hostile server withholds dropped messages from catch-up too (bob's
  // client syncs when a live delivery shows an inbox gap).
  const dropped = new Set<string>()
  proxy.hooks.ack = (event, _request, response) =>
    event === 'inbox.sync' && response?.ok ? { ...response, data: { ...response.data, deliveries: response.data.deliveries.filter((d: any) => !dropped.has(d.messageId)) } } : response
  proxy.hooks.serverFrame = (event, frame, ctx) => {
    if (event !== 'message' || ctx.userId !== 'bob' || frame.mode !== 'e2ee' || frame.sender?.userId !== 'alice') return [frame]
    seen.push(frame)
    if (plan?.kind === 'drop' && plan.left-- > 0) {
      dropped.add(frame.messageId)
      return []
    }
    // Counting starts when this frame leaves the hostile server: alice's and the server's
    // work for it is done; what follows until bob's event is bob's.
    work.chainSteps = 0
    work.kdfRoot = 0
    dh.count = 0
    windows.push(frame.messageId)
    if (plan?.kind === 'forge') {
      const forged = plan.f(frame)
      plan = null
      return [forged]
    }
    plan = null
    return [frame]
  }
  // Both directions established: alice's first message is a prekey message, bob replies.
  const { ca, cb, errors, bobGot } = await establishBothWays(alice, bob, 'on a chain bob knows')
  const snapshot = () => ({ chainSteps: work.chainSteps, kdfRoot: work.kdfRoot, dh: dh.count })
  return {
    ca, cb, errors, bobGot, seen, windows, snapshot, bobStore,
    forgeNext(f: (frame: any) => any) { plan = { kind: 'forge', f } },
    dropNext(n: number) { plan = { kind: 'drop', left: n } },
  }
}

function rewrite(ciphertext: string, f: (b: Buffer) => void): string {
  const b = Buffer.from(ciphertext, 'base64')
  f(b)
  return b.toString('base64')
}

describe('row 6: a forged message with a huge PN/N is rejected after constant work', () => {
  it('control: an honest message after 300 lost ones costs ≥ 300 chain steps in bob\'s window', async () => {
    const w = await setup()
    w.dropNext(300)
    for (let i = 0; i < 300; i++) await w.ca.send({ text: `lost ${i}` })
    await w.ca.send({ text: 'after the gap' })
    await waitFor(() => w.bobGot.length === 3, 20_000, 'message after the gap')
    expect(w.bobGot.at(-1)!.text).toBe('after the gap')
    expect(w.snapshot().chainSteps).toBeGreaterThanOrEqual(300)
  }, 60_000)

  it('known chain, N rewritten to the largest jump: bad_mac, no chain step, no DH; the next honest message decrypts', async () => {
    const w = await setup()
    w.forgeNext((frame) => ({ ...frame, envelope: { ...frame.envelope, ciphertext: rewrite(frame.envelope.ciphertext, (b) => b.writeUInt32BE(MAX_FORWARD_JUMPS, N)) } }))
    await w.ca.send({ text: 'forged in transit' })
    await waitFor(() => w.errors.length === 1, 10_000, 'error event for the forged frame')
    // Control: the forged frame reached bob's client (its id is the one the error names).
    expect(w.errors[0]!.messageId).toBe(w.windows.at(-1))
    expect(w.errors[0]!.error.code).toBe('bad_mac')
    expect(w.snapshot()).toEqual({ chainSteps: 0, kdfRoot: 0, dh: 0 })
    await w.ca.send({ text: 'honest' })
    await waitFor(() => w.bobGot.length === 3, 10_000, 'honest message')
    expect(w.bobGot.at(-1)!.text).toBe('honest')
  })

  it('new ratchet key with PN and N at the largest jump: bad_mac after one DH and one KDF_RK, no chain step', async () => {
    const w = await setup()
    // Bob answers, so alice's next message starts a new chain (a DH ratchet step for bob).
    await w.cb.send({ text: 'turn' })
    await new Promise((r) => setTimeout(r, 100))
    w.forgeNext((frame) => ({
      ...frame,
      envelope: {
        ...frame.envelope,
        ciphertext: rewrite(frame.envelope.ciphertext, (b) => {
          b[RATCHET_KEY + 5]! ^= 0x40
          b.writeUInt32BE(MAX_FORWARD_JUMPS, PN)
          b.writeUInt32BE(MAX_FORWARD_JUMPS, N)
        }),
      },
    }))
    await w.ca.send({ text: 'forged in transit' })
    await waitFor(() => w.errors.length === 1, 10_000, 'error event for the forged frame')
    expect(w.errors[0]!.messageId).toBe(w.windows.at(-1))
    expect(w.errors[0]!.error.code).toBe('bad_mac')
    const used = w.snapshot()
    expect(used.chainSteps).toBe(0)
    // One DH and one KDF_RK per state tried (bob keeps at most MAX_PREVIOUS_SESSIONS + 1; here one).
    expect(used.dh).toBeLessThanOrEqual(1)
    expect(used.kdfRoot).toBeLessThanOrEqual(1)
    await w.ca.send({ text: 'honest' })
    await waitFor(() => w.bobGot.some((m) => m.text === 'honest'), 10_000, 'honest message')
  })

  it('forged initial (prekey) message with a new base key and the largest N: typed error after PQXDH + one DH step, no chain step', async () => {
    const w = await setup()
    await forgedInitialRunsPqxdhOnce(w)
  })

  it('bob keeping several session states still runs PQXDH once for a forged initial message', async () => {
    const w = await setup()
    // A garbled frame starts the bounded reset (renewal); bob's next send starts a new session
    // in front of the old one, so bob now keeps two states with alice's device.
    w.forgeNext((frame) => ({ ...frame, envelope: { type: 'message', ciphertext: Buffer.alloc(200, 7).toString('base64') } }))
    await w.ca.send({ text: 'garbled in transit' })
    await waitFor(() => w.errors.length === 1, 10_000, 'error for the garbled frame')
    await w.cb.send({ text: 'bob on a renewed session' })
    const keys = await w.bobStore.keys('session/alice/')
    expect(keys).toHaveLength(1)
    expect(((await w.bobStore.get(keys[0]!)) as unknown as { states: unknown[] }).states).toHaveLength(2)
    w.errors.length = 0
    await forgedInitialRunsPqxdhOnce(w)
  })
})

/** A forged initial message (new base key, last-resort KEM id, N and PN at the maximum) costs one PQXDH run. */
async function forgedInitialRunsPqxdhOnce(w: Awaited<ReturnType<typeof setup>>): Promise<void> {
  const initial = w.seen.find((f) => f.envelope?.type === 'prekey')
  expect(initial).toBeDefined()
  // Names bob's (never consumed) last-resort KEM prekey and no one-time prekey, so bob runs
  // the whole PQXDH responder (three DHs, a decapsulation) before the header MAC can fail.
  const secrets = (await w.bobStore.get<{ kemPreKeys: Record<string, string> }>('prekeys'))!
  const lastResort = Math.max(...Object.keys(secrets.kemPreKeys).map(Number))
  w.forgeNext((frame) => ({
    ...frame,
    envelope: {
      type: 'prekey',
      ciphertext: rewrite(initial.envelope.ciphertext, (b) => {
        b[BASE_KEY + 3]! ^= 0x10 // a different initiator base key: a fresh responder run
        b.writeUInt32BE(lastResort, KEM_ID)
        b[FLAGS] = 1
        b.writeUInt32BE(0, OPK_ID)
        b.writeUInt32BE(MAX_FORWARD_JUMPS, PREKEY_HEADER_BYTES + PN)
        b.writeUInt32BE(MAX_FORWARD_JUMPS, PREKEY_HEADER_BYTES + N)
      }),
    },
  }))
  await w.ca.send({ text: 'forged in transit' })
  await waitFor(() => w.errors.length === 1, 10_000, 'error event for the forged frame')
  expect(w.errors[0]!.messageId).toBe(w.windows.at(-1))
  expect(w.errors[0]!.error.code).toBe('bad_mac')
  const used = w.snapshot()
  expect(used.chainSteps).toBe(0)
  // PQXDH: DH1..DH3 (one run, not one per kept state), then one DH and one KDF_RK.
  expect(used.dh).toBeGreaterThanOrEqual(3) // the responder really ran
  expect(used.dh).toBeLessThanOrEqual(4)
  expect(used.kdfRoot).toBeLessThanOrEqual(1)
  await w.ca.send({ text: 'honest' })
  await waitFor(() => w.bobGot.some((m) => m.text === 'honest'), 10_000, 'honest message')
}
