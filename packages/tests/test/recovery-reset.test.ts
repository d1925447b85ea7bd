/**
 * Account reset without a backup (issue 17, docs/recovery.md), one suite over the three
 * policies: alice loses every device. A fresh device cannot start (`IdentityChangedError`
 * naming her own user), nor can `resetIdentity` before her integrator's server resets her.
 * The server re-authenticates her (out of band) and calls `parley.resetIdentity`: her old
 * device is revoked (a lost device that turns up cannot come back), peers get an
 * `identity_changed` notice, and `resetIdentity()` starts a client with a new identity. Bob
 * must accept the new identity before sending end to end (`IdentityChangedError` rules); his
 * safety number changes; alice's old E2EE history is gone while server-side history stays
 * readable. Bad input to both halves is a typed error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_RESET_REASON_LENGTH } from '@parley/server'
import { memoryKeyStore, resetIdentity, type ErrorPayload, type ParleyClient } from '@parley/client'
import type { Notice, Policy } from '@parley/protocol'
import { closeAll, connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
const socketOptions = { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 }

let server: TestServer | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, server })
  server = undefined
})

const codeOf = (e: unknown) => (e as { code?: string }).code

describe.each(POLICIES)('account reset without a backup under %s', (policy) => {
  it('lost every device: the server resets, a new identity starts, peers must accept it, old E2EE history is gone', async () => {
    server = await startServer({ policy })
    const tag = Math.random().toString(36).slice(2, 8)
    const A = `alice-${tag}`
    const B = `bob-${tag}`
    const oldStore = memoryKeyStore()
    const alice = await connect(server.url, A, { keyStore: oldStore })
    const oldDevice = alice.deviceId
    const bob = await connect(server.url, B)
    clients.push(bob)
    const ca = await alice.conversations.open(B)
    const bobGot: string[] = []
    bob.on('message', (m) => m.status === 'received' && bobGot.push(m.text))
    await ca.send({ text: 'written before the reset' })
    await waitFor(() => bobGot.length === 1, 15_000, 'the first message')
    const cb = bob.conversations.get(ca.id)!
    const e2ee = cb.encryption === 'e2ee'
    const before = await cb.safetyNumber()
    // A copy of the lost device's key store, for when it turns up again.
    const found = memoryKeyStore()
    await found.saveChanges(Object.fromEntries(await Promise.all((await oldStore.keys('')).map(async (k) => [k, await oldStore.get(k)] as const))))
    await alice.close() // every device lost

    // A fresh device cannot start: the server holds an identity it has no keys for.
    const fresh = await connect(server.url, A).then(() => null, (e: unknown) => e)
    expect(codeOf(fresh)).toBe('identity_changed')
    expect((fresh as { details: { userId?: string } }).details.userId).toBe(A)
    // Nor can resetIdentity before the integrator's server reset the identity.
    const newStore = memoryKeyStore()
    const early = await resetIdentity({ url: server.url, token: A, keyStore: newStore, socketOptions, ticket: 'A'.repeat(43) }).then(() => null, (e: unknown) => e)
    expect(codeOf(early)).toBe('identity_changed')

    // The integrator re-authenticated alice its own way, then resets her identity.
    const notices: Notice[] = []
    bob.on('notice', (n) => notices.push(n))
    const out = await server.parley.resetIdentity(A, { reason: 'lost every device; re-verified by e-mail' })
    expect(out).toMatchObject({ userId: A, revokedDevices: [oldDevice] })
    // The app delivers out.ticket to the re-authenticated user (decision 0024; row-17-reset-ticket.test.ts attacks it).
    const alice2 = await resetIdentity({ url: server.url, token: A, keyStore: newStore, socketOptions, ticket: out.ticket })
    clients.push(alice2)
    expect(alice2.deviceId).not.toBe(oldDevice)
    await waitFor(() => notices.some((n) => n.kind === 'identity_changed' && n.userId === A && n.conversationId === ca.id), 10_000, 'bob told of the new identity')

    // The lost device, if it turns up again, is refused.
    const lostErrors: ErrorPayload[] = []
    const lost = await connect(server.url, A, { keyStore: found })
    clients.push(lost)
    lost.on('error', (e) => lostErrors.push(e))
    await waitFor(() => lostErrors.some((e) => e.error.code === 'device_revoked'), 10_000, 'the old device revoked')

    // Bob: in an E2EE conversation the new identity must be accepted before he can send.
    const aliceGot: string[] = []
    alice2.on('message', (m) => m.status === 'received' && aliceGot.push(m.text))
    if (e2ee) {
      const refused = await cb.send({ text: 'blocked until accepted' }).then(() => null, (e: unknown) => e)
      expect(codeOf(refused)).toBe('identity_changed')
    }
    // In every mode the new identity shows in the safety number and waits for bob's acceptance.
    const after = await cb.safetyNumber()
    expect(after.digits).not.toBe(before.digits)
    expect(await cb.acceptIdentity()).toBe(true)
    await cb.send({ text: 'hello again, new alice' })
    await waitFor(() => aliceGot.includes('hello again, new alice'), 15_000, 'new alice receives')

    // Old history: readable conversations keep it (the server reads them); E2EE history is gone.
    const c2 = alice2.conversations.get(ca.id) ?? (await alice2.conversations.open(B))
    const texts = (await c2.history({ limit: 50 })).messages.map((m) => m.text)
    if (e2ee) expect(texts).not.toContain('written before the reset')
    else expect(texts).toContain('written before the reset')
  })

  it('bad input to either half is a typed error', async () => {
    server = await startServer({ policy })
    const tag = Math.random().toString(36).slice(2, 8)
    clients.push(await connect(server.url, `alice-${tag}`))
    const p = server.parley
    await expect(p.resetIdentity('', { reason: 'x' })).rejects.toThrow(TypeError)
    await expect(p.resetIdentity(`alice-${tag}`, undefined as never)).rejects.toThrow(TypeError)
    await expect(p.resetIdentity(`alice-${tag}`, { reason: '' })).rejects.toThrow(TypeError)
    await expect(p.resetIdentity(`alice-${tag}`, { reason: 'x'.repeat(MAX_RESET_REASON_LENGTH + 1) })).rejects.toThrow(RangeError)
    expect(codeOf(await p.resetIdentity(`nobody-${tag}`, { reason: 'x' }).catch((e: unknown) => e))).toBe('not_found')
    await expect(resetIdentity(null as never)).rejects.toThrow(TypeError)
    await expect(resetIdentity({ url: server.url, token: 'x', keyStore: {} as never, ticket: 'A'.repeat(43) })).rejects.toThrow(TypeError)
    // Nothing was reset: alice's identity is still pinned.
    expect(await p.store().getUser(`alice-${tag}`)).not.toBeNull()
  })
})
