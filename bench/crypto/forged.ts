/**
 * Recipient CPU per forged message at the largest allowed jump (issue 12, row 6), beside the
 * cost of an honest decrypt. A forged message is an honest one with its header rewritten:
 * PN/N set to MAX_FORWARD_JUMPS (and, for a DH step, a different ratchet key); a forged
 * initial message names the last-resort KEM prekey (a full PQXDH responder run) with N at
 * the maximum. `decryptMessage` is pure, so one state and one ciphertext are decrypted
 * again and again; CPU is `process.cpuUsage()` (user + system) per call.
 *
 * Takes the crypto module as an argument so the same forgeries can be run against an older
 * build (the "before" figures in docs/crypto.md were made that way, from the v1 tree).
 */
import type * as Crypto from '@parley/crypto'
import type { DeviceBundle } from '@parley/protocol'

type Mod = typeof Crypto
type Provider = Crypto.CryptoProvider

const ctxAB = { protocolVersion: 2, conversationId: 'c', sender: { userId: 'a', deviceId: 'a1' }, recipient: { userId: 'b', deviceId: 'b1' } }
const ctxBA = { ...ctxAB, sender: ctxAB.recipient, recipient: ctxAB.sender }
const small = new Uint8Array(100).fill(7)
const PN = 1 + 32
const N = PN + 4

function rewrite(ciphertext: string, at: number, f: (b: Buffer) => void): string {
  const b = Buffer.from(ciphertext, 'base64')
  f(b.subarray(at))
  return b.toString('base64')
}

/** Mean CPU ms per call of `op` (which must throw for a forgery, resolve for an honest one). */
async function cpuMs(op: () => Promise<unknown>, minMs: number, expectThrow: boolean): Promise<number> {
  const once = async () => {
    let threw = false
    try { await op() } catch { threw = true }
    if (threw !== expectThrow) throw new Error(expectThrow ? 'a forgery decrypted' : 'an honest message failed')
  }
  await once()
  let n = 0
  const wall = performance.now()
  const start = process.cpuUsage()
  while (performance.now() - wall < minMs || n < 3) { await once(); n++ }
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1000 / n
}

export interface ForgedFigures {
  provider: string
  forgedKnownChain: number
  forgedNewRatchetKey: number
  forgedPreKey: number
  honestKnownChain: number
  honestNewRatchetKey: number
  honestPreKey: number
}

/** CPU ms per message for each forgery and each honest counterpart. */
export async function forgedFigures(c: Mod, provider: Provider, minMs = 400): Promise<ForgedFigures> {
  const MAX = c.MAX_FORWARD_JUMPS
  const alice = c.generateDeviceIdentity('a1')
  const bob = c.generateDeviceIdentity('b1')
  const batch = c.generatePreKeys(bob, { signedPreKeyId: 1, kemLastResortId: c.KEM_LAST_RESORT_ID_BASE + 2, oneTimeStartId: 10, oneTimeCount: 1, kemOneTimeStartId: 100, kemOneTimeCount: 1 })
  const bundle: DeviceBundle = { deviceId: 'b1', signingKey: bob.signing.publicKey, identityKey: bob.identity.publicKey, signedPreKey: batch.public.signedPreKey!,
    kemPreKey: batch.public.kemLastResortPreKey!, kemPreKeyIsLastResort: true }
  const dec = (state: Crypto.SessionState | null, type: 'prekey' | 'message', ciphertext: string, context = ctxAB) =>
    c.decryptMessage({ state, ours: context === ctxAB ? bob : alice, preKeys: batch.secrets, type, ciphertext, context, provider })

  // Session: alice → bob (prekey), bob → alice, alice → bob 'warm' (bob now knows alice's chain).
  const m1 = await c.encryptMessage({ state: await c.initiateSession({ ours: alice, theirs: bundle, provider }), plaintext: small, context: ctxAB, provider })
  const b1 = (await dec(null, 'prekey', m1.ciphertext)).state
  const r = await c.encryptMessage({ state: b1, plaintext: small, context: ctxBA, provider })
  const a1 = (await dec(m1.state, 'message', r.ciphertext, ctxBA)).state
  const warm = await c.encryptMessage({ state: a1, plaintext: small, context: ctxAB, provider })
  const b2 = (await dec(r.state, 'message', warm.ciphertext)).state
  // Honest: the next message on a known chain; a DH step (bob answered, alice's next one).
  const known = await c.encryptMessage({ state: warm.state, plaintext: small, context: ctxAB, provider })
  const turn = await c.encryptMessage({ state: b2, plaintext: small, context: ctxBA, provider })
  const a2 = (await dec(known.state, 'message', turn.ciphertext, ctxBA)).state
  const step = await c.encryptMessage({ state: a2, plaintext: small, context: ctxAB, provider })
  const bobBeforeStep = (await dec(b2, 'message', known.ciphertext)).state
  const bobAfterTurn = turn.state

  const forgedKnown = rewrite(known.ciphertext, N, (b) => b.writeUInt32BE(MAX))
  const forgedNew = rewrite(step.ciphertext, 1, (b) => { b[3]! ^= 0x40; b.writeUInt32BE(MAX, PN - 1); b.writeUInt32BE(MAX, N - 1) })
  const hdr = c.PREKEY_HEADER_BYTES
  const forgedPre = rewrite(m1.ciphertext, hdr, (b) => b.writeUInt32BE(MAX, N))

  return {
    provider: provider.name,
    forgedKnownChain: await cpuMs(() => dec(b2, 'message', forgedKnown), minMs, true),
    forgedNewRatchetKey: await cpuMs(() => dec(bobAfterTurn, 'message', forgedNew), minMs, true),
    forgedPreKey: await cpuMs(() => dec(null, 'prekey', forgedPre), minMs, true),
    honestKnownChain: await cpuMs(() => dec(b2, 'message', known.ciphertext), minMs, false),
    honestNewRatchetKey: await cpuMs(() => dec(bobAfterTurn, 'message', step.ciphertext), minMs, false),
    honestPreKey: await cpuMs(() => dec(null, 'prekey', m1.ciphertext), minMs, false),
  }
  void bobBeforeStep
}

/** The table lines. */
export function forgedTable(rows: ForgedFigures[]): string[] {
  const f = (n: number) => `${n.toFixed(n < 1 ? 3 : 2)} ms`
  const cell = (xs: string[]) => xs.map((x, i) => (i === 0 ? x.padEnd(44) : x.padStart(14))).join('')
  return [
    `recipient CPU per message, forged at the largest jump (PN = N = ${'25,000'}) vs honest`,
    cell(['message', ...rows.map((r) => `${r.provider} forged`), ...rows.map((r) => `${r.provider} honest`)]),
    cell(['known chain (N rewritten)', ...rows.map((r) => f(r.forgedKnownChain)), ...rows.map((r) => f(r.honestKnownChain))]),
    cell(['new ratchet key (DH step, PN and N rewritten)', ...rows.map((r) => f(r.forgedNewRatchetKey)), ...rows.map((r) => f(r.honestNewRatchetKey))]),
    cell(['initial message (PQXDH responder, N rewritten)', ...rows.map((r) => f(r.forgedPreKey)), ...rows.map((r) => f(r.honestPreKey))]),
  ]
}
