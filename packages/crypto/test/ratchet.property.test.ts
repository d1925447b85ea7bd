/**
 * Ratchet properties (fast-check, ≥ 200 runs each). Session states are pure values, so every
 * run starts from the same established pair; the node provider keeps the runs fast (its
 * agreement with noble is checked in providers.test.ts).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BadMacError, DuplicateMessageError, TooFarAheadError } from '@parley/protocol'
import { decryptMessage, encryptMessage, MAX_FORWARD_JUMPS, nobleProvider, nodeNativeProvider, seededRandom, type SessionState } from '../src/index.js'
import { ctxAB, ctxBA, dec, enc, establish, noPreKeys, type Parties } from './_fixtures.js'

const provider = nodeNativeProvider()
type Setup = Parties & { a: SessionState; b: SessionState }
const setup: Promise<Setup> = establish(provider)

interface Wire { from: 'a' | 'b'; ciphertext: string; text: string }

async function send(s: Record<'a' | 'b', SessionState>, from: 'a' | 'b', text: string): Promise<Wire> {
  const r = await encryptMessage({ state: s[from], plaintext: enc(text), context: from === 'a' ? ctxAB : ctxBA, provider })
  s[from] = r.state
  return { from, ciphertext: r.ciphertext, text }
}
async function receive(p: Setup, s: Record<'a' | 'b', SessionState>, w: Wire): Promise<string> {
  const to = w.from === 'a' ? 'b' : 'a'
  const r = await decryptMessage({
    state: s[to], ours: to === 'a' ? p.alice : p.bob, preKeys: noPreKeys, type: 'message', ciphertext: w.ciphertext,
    context: w.from === 'a' ? ctxAB : ctxBA, provider,
  })
  s[to] = r.state
  return dec(r.plaintext)
}

describe('Double Ratchet properties', () => {
  it('any interleaving, loss and reordering in both directions decrypts each delivered message exactly once; duplicates fail', async () => {
    const p = await setup
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ from: fc.constantFrom<'a' | 'b'>('a', 'b'), deliver: fc.boolean(), dup: fc.boolean(), delay: fc.nat(6) }), { minLength: 1, maxLength: 14 }),
      async (plan) => {
        const s = { a: p.a, b: p.b }
        const inFlight: { w: Wire; at: number; dup: boolean }[] = []
        let t = 0
        const delivered: string[] = []
        const flush = async (now: number) => {
          inFlight.sort((x, y) => x.at - y.at)
          while (inFlight.length && inFlight[0]!.at <= now) {
            const { w, dup } = inFlight.shift()!
            delivered.push(await receive(p, s, w))
            expect(delivered.at(-1)).toBe(w.text)
            if (dup) await expect(receive(p, s, w)).rejects.toBeInstanceOf(DuplicateMessageError)
          }
        }
        for (const step of plan) {
          const w = await send(s, step.from, `m${t}`)
          if (step.deliver) inFlight.push({ w, at: t + step.delay, dup: step.dup })
          await flush(t++)
        }
        await flush(Number.MAX_SAFE_INTEGER)
        expect(new Set(delivered).size).toBe(delivered.length)
        expect(delivered.length).toBe(plan.filter((x) => x.deliver).length)
      },
    ), { numRuns: 200 })
  }, 120_000)

  it('loss of up to 1000 in a row is recovered', async () => {
    const p = await setup
    await fc.assert(fc.asyncProperty(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 900, max: 1000 })), fc.constantFrom<'a' | 'b'>('a', 'b'), async (lost, from) => {
      const s = { a: p.a, b: p.b }
      let last: Wire | undefined
      for (let i = 0; i <= lost; i++) last = await send(s, from, `x${i}`)
      expect(await receive(p, s, last!)).toBe(last!.text)
    }), { numRuns: 200 })
  }, 120_000)

  it('a jump of 25,000 succeeds and 25,001 fails with TooFarAheadError, leaving state usable', async () => {
    const p = await setup
    const { state: far } = await forgeCounter(p, MAX_FORWARD_JUMPS)
    const s = { a: far, b: p.b }
    const ok = await send(s, 'a', 'far')
    expect(await receive(p, { ...s }, ok)).toBe('far')
    const { state: tooFar } = await forgeCounter(p, MAX_FORWARD_JUMPS + 1)
    const s2 = { a: tooFar, b: p.b }
    const bad = await send(s2, 'a', 'too far')
    await expect(receive(p, s2, bad)).rejects.toBeInstanceOf(TooFarAheadError)
    const honest = await send({ a: p.a, b: p.b }, 'a', 'honest')
    expect(await receive(p, { a: p.a, b: p.b }, honest)).toBe('honest')
  }, 60_000)

  it('2,300 in flight: message 1,000 still decrypts, evicted ones fail cleanly', async () => {
    const p = await setup
    const s = { a: p.a, b: p.b }
    const wires: Wire[] = []
    for (let i = 0; i < 2300; i++) wires.push(await send(s, 'a', `n${i}`))
    expect(await receive(p, s, wires[2299]!)).toBe('n2299')
    expect(await receive(p, s, wires[999]!)).toBe('n999')
    const before = JSON.stringify(s.b)
    await expect(receive(p, s, wires[0]!)).rejects.toBeInstanceOf(DuplicateMessageError)
    await expect(receive(p, s, wires[298]!)).rejects.toBeInstanceOf(DuplicateMessageError)
    expect(JSON.stringify(s.b)).toBe(before)
    expect(await receive(p, s, wires[299]!)).toBe('n299')
  }, 60_000)

  it('a flipped bit anywhere fails and leaves the state unchanged; the next honest message decrypts', async () => {
    const p = await setup
    await fc.assert(fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (pos, bit, newChain) => {
      const s = { a: p.a, b: p.b }
      if (newChain) await receive(p, s, await send(s, 'b', 'turn'))
      const w = await send(s, 'a', 'payload of some length')
      const bytes = Buffer.from(w.ciphertext, 'base64')
      bytes[pos % bytes.length]! ^= 1 << bit
      const before = JSON.stringify(s.b)
      await expect(receive(p, s, { ...w, ciphertext: bytes.toString('base64') })).rejects.toSatisfy(
        (e) => BadMacError.isInstance(e) || DuplicateMessageError.isInstance(e) || TooFarAheadError.isInstance(e),
      )
      expect(JSON.stringify(s.b)).toBe(before)
      expect(await receive(p, s, w)).toBe(w.text)
    }), { numRuns: 200 })
  }, 120_000)

  it('a seeded 10,000-step walk (20% loss, reordering, both directions) ends with both sides agreeing', async () => {
    const p = await setup
    const s = { a: p.a, b: p.b }
    const rnd = seededRandom(new Uint8Array(32).fill(5))
    const r = () => rnd(1)[0]! / 256
    const queue: Wire[] = []
    let delivered = 0
    for (let i = 0; i < 10_000; i++) {
      if (queue.length === 0 || r() < 0.5) {
        const w = await send(s, r() < 0.5 ? 'a' : 'b', `w${i}`)
        // Reordering within a window of 3 at the back of the queue: a message can be overtaken, not starved.
        if (r() >= 0.2) queue.splice(queue.length - Math.floor(r() * (Math.min(queue.length, 3) + 1)), 0, w)
      } else {
        const w = queue.splice(Math.floor(r() * Math.min(queue.length, 3)), 1)[0]!
        expect(await receive(p, s, w)).toBe(w.text)
        delivered++
      }
    }
    for (const w of queue) expect(await receive(p, s, w)).toBe(w.text)
    const a = await send(s, 'a', 'final a')
    expect(await receive(p, s, a)).toBe('final a')
    const b = await send(s, 'b', 'final b')
    expect(await receive(p, s, b)).toBe('final b')
    expect(delivered).toBeGreaterThan(2000)
  }, 120_000)
})

/** Alice's state with her sending counter set to `n` (as if n messages had been lost). */
async function forgeCounter(p: Setup, n: number): Promise<{ state: SessionState }> {
  const a = JSON.parse(JSON.stringify(p.a)) as { sending: { chainKey: string; n: number } }
  // Advance the real chain key n steps so the message is honest, just far ahead.
  const { advanceChain } = await import('../src/ratchet/chain-key.js')
  const { fromBase64, toBase64 } = await import('../src/_bytes.js')
  a.sending.chainKey = toBase64(advanceChain(fromBase64(a.sending.chainKey), a.sending.n, a.sending.n + n, 0, nobleProvider).chainKey)
  a.sending.n += n
  return { state: a as unknown as SessionState }
}
