/**
 * The edge fuzzer's harness must be able to fail: a server with a seeded bug — a store method
 * that throws a plain error (an `internal` ack), one that throws outside any promise (a crash),
 * one that leaves a rejection unobserved, one that keeps every frame (a leak) — is caught by the same run the fuzzer makes, and the
 * ack judge refuses untyped, unknown, `internal` and missing acks.
 */
import { describe, expect, it } from 'vitest'
import { describeReport, judgeAck, runEdgeFuzzer } from './_edge-harness.js'
import { judgeMemory } from './_edge-memory.js'

const SEED = Number(process.env.PARLEY_FUZZ_SEED ?? 19)

describe('edge fuzzer harness catches a known-bad server', () => {
  it('judges acks: ok and typed errors pass; internal, unknown, untyped and missing acks fail', () => {
    expect(judgeAck({ ok: true, data: {} })).toBeUndefined()
    expect(judgeAck({ ok: false, error: { code: 'invalid_frame', message: 'x' } })).toBeUndefined()
    expect(judgeAck({ ok: false, error: { code: 'internal', message: 'x' } })).toBe('internal ack')
    expect(judgeAck({ ok: false, error: { code: 'made_up', message: 'x' } })).toBe('unknown code made_up')
    expect(judgeAck({ ok: false } as never)).toMatch(/^untyped ack/)
    expect(judgeAck('no ack: timeout')).toBe('no ack: timeout')
  })

  it('a handler whose store call throws a plain error: internal acks and onError reports are caught', async () => {
    const r = await runEdgeFuzzer({ policy: 'server-side', seed: SEED, frames: 3_000, fault: 'internal', stopOnFailure: true })
    console.log(describeReport(r))
    expect(r.failures.some((f) => f.includes('history.fetch: internal ack'))).toBe(true)
    expect(r.onError.length).toBeGreaterThan(0)
    expect(r.died).toBeUndefined()
  }, 300_000)

  for (const fault of ['crash', 'unhandled'] as const) {
    it(`a handler that ${fault === 'crash' ? 'throws outside any promise' : 'leaves a rejection unobserved'}: the server's death is caught`, async () => {
      const r = await runEdgeFuzzer({ policy: 'optional-e2ee', seed: SEED, frames: 3_000, fault, stopOnFailure: true })
      console.log(describeReport(r))
      expect(r.died).toMatch(/server exited/)
      expect(r.frames).toBeLessThan(3_000)
    }, 300_000)
  }

  it('a server that keeps every frame it receives: the memory check fails', async () => {
    const r = await runEdgeFuzzer({ policy: 'server-side', seed: SEED, frames: 1_000, fault: 'leak' })
    console.log(describeReport(r))
    expect(r.died).toBeUndefined()
    expect(r.frames).toBe(1_000)
    expect(judgeMemory(r).join('; ')).toMatch(/JS-retained memory grew/)
  }, 300_000)
})
