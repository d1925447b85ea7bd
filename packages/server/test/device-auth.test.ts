/**
 * Device authentication at hello, with the server clock in hand: a challenge expires after
 * HELLO_CHALLENGE_TTL_MS, a new challenge replaces the old one, and a connection that already
 * proved its device says hello again without a new proof.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { signHelloProof } from '@parley/crypto'
import { HELLO_CHALLENGE_TTL_MS } from '../src/options.js'
import { call, connect, connectDevice, ok } from './helpers/client.js'
import { makeTestUser } from './helpers/device.js'
import { startTestServer } from './helpers/server.js'

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close()
})

describe('hello proof', () => {
  it('expires after HELLO_CHALLENGE_TTL_MS; the latest challenge replaces earlier ones; a proven connection needs no second proof', async () => {
    let clock = 1_000_000
    const s = await startTestServer({ now: () => clock })
    open.push(s)
    const alice = makeTestUser(1)
    const first = await connectDevice(s.url, alice) // registers d1
    open.push(first)
    const device = alice.devices[0]!
    const proof = (nonce: string) => ({ nonce, signature: signHelloProof(device, { nonce, userId: alice.userId, deviceId: device.deviceId }) })

    const late = await connect(s.url, alice.userId)
    open.push({ close: () => late.close() })
    const { nonce, expiresInMs } = await ok(late, 'hello.challenge', {})
    expect(expiresInMs).toBe(HELLO_CHALLENGE_TTL_MS)
    clock += HELLO_CHALLENGE_TTL_MS + 1
    const expired = await call(late, 'hello', { versions: [2], deviceId: device.deviceId, proof: proof(nonce) })
    expect(expired).toMatchObject({ ok: false, error: { code: 'device_proof_failed', details: { reason: 'expired' } } })

    const replaced = await connect(s.url, alice.userId)
    open.push({ close: () => replaced.close() })
    const older = (await ok(replaced, 'hello.challenge', {})).nonce
    const newer = (await ok(replaced, 'hello.challenge', {})).nonce
    expect(newer).not.toBe(older)
    expect(await call(replaced, 'hello', { versions: [2], deviceId: device.deviceId, proof: proof(older) })).toMatchObject({ ok: false, error: { details: { reason: 'wrong_nonce' } } })

    // Control on the same clock: a fresh challenge within its lifetime is accepted, and the
    // connection says hello again without a second proof.
    const good = await connect(s.url, alice.userId)
    open.push({ close: () => good.close() })
    const n = (await ok(good, 'hello.challenge', {})).nonce
    clock += HELLO_CHALLENGE_TTL_MS // exactly at expiry: still valid
    expect(await ok(good, 'hello', { versions: [2], deviceId: device.deviceId, proof: proof(n) })).toMatchObject({ registered: true })
    expect(await ok(good, 'hello', { versions: [2], deviceId: device.deviceId })).toMatchObject({ registered: true })
  })
})
