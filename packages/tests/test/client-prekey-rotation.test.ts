/**
 * Client prekey rotation details beyond hostile row 9: a rotation whose upload was not
 * confirmed is redone on the next connect; `preKeyRotation` options are checked; custom
 * intervals apply.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_RETIRED_SIGNED_PREKEYS, memoryKeyStore, type KeyStore, type ParleyClient } from '@parley/client'
import { connect, startServer, type TestServer, closeAll } from './helpers/parley.js'
import { startTamperProxy, type TamperProxy } from './helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

interface Self { signedPreKeyId: number; publishedSignedPreKeyId?: number; signedPreKeyAt?: number }
const HOUR = 60 * 60 * 1000

describe('client prekey rotation', () => {
  it('a rotation whose keys.publish was not confirmed is redone on the next connect; custom interval and grace apply', async () => {
    server = await startServer({ policy: 'default-e2ee' })
    proxy = await startTamperProxy(server.url)
    let clock = Date.now()
    const inner = memoryKeyStore()
    const keyStore: KeyStore = { ...inner, close: async () => undefined }
    const self = async () => (await inner.get('self')) as unknown as Self
    const preKeyRotation = { intervalMs: 2 * HOUR, graceMs: 3 * HOUR }
    const start = async () => {
      const c = await connect(proxy.url, 'bob', { keyStore, now: () => clock, preKeyRotation })
      clients.push(c)
      await c.whenReady(20_000)
      return c
    }
    let bob = await start()
    const first = await self()
    expect(first.publishedSignedPreKeyId).toBe(first.signedPreKeyId)

    // Not due yet: nothing changes.
    clock += HOUR
    await bob.close()
    bob = await start()
    expect((await self()).signedPreKeyId).toBe(first.signedPreKeyId)

    // Due; the server's answer to the upload is lost.
    let failed = 0
    proxy.hooks.ack = (event, request, response, ctx) => {
      if (event !== 'keys.publish' || ctx.userId !== 'bob' || !request.signedPreKey || failed > 0) return response
      failed++
      return { ok: false, error: { code: 'internal', message: 'lost' } }
    }
    clock += 2 * HOUR
    await bob.close()
    bob = await start()
    const unconfirmed = await self()
    expect(failed).toBe(1)
    expect(unconfirmed.signedPreKeyId).toBe(first.signedPreKeyId + 1)
    expect(unconfirmed.publishedSignedPreKeyId).toBe(first.signedPreKeyId)

    // Next connect (no time passed): redone, confirmed, and the server hands out the new one.
    await bob.close()
    bob = await start()
    const redone = await self()
    expect(redone.signedPreKeyId).toBe(first.signedPreKeyId + 2)
    expect(redone.publishedSignedPreKeyId).toBe(redone.signedPreKeyId)
    expect((await server.parley.store().claimBundles('bob'))!.bundles[0]!.signedPreKey.id).toBe(redone.signedPreKeyId)

    // 3 h after the replacements, the replaced secrets are gone.
    clock += 3 * HOUR
    await bob.close()
    bob = await start()
    const secrets = (await inner.get('prekeys')) as unknown as { signedPreKeys: Record<string, string> }
    const now = await self()
    expect(Object.keys(secrets.signedPreKeys).map(Number).every((id) => id > first.signedPreKeyId + 1)).toBe(true)
    expect(Object.keys(secrets.signedPreKeys)).toContain(String(now.signedPreKeyId))
  }, 60_000)

  it('refuses a non-positive interval or grace', async () => {
    for (const preKeyRotation of [{ intervalMs: 0 }, { graceMs: -1 }, { intervalMs: Number.NaN }]) {
      await expect(connect('http://127.0.0.1:9', 'x', { preKeyRotation })).rejects.toBeInstanceOf(RangeError)
    }
  })

  it(`keeps at most MAX_RETIRED_SIGNED_PREKEYS replaced signed prekeys, however fast rotation runs`, async () => {
    server = await startServer({ policy: 'default-e2ee' })
    let clock = Date.now()
    const inner = memoryKeyStore()
    const keyStore: KeyStore = { ...inner, close: async () => undefined }
    // A long grace and a short interval: only the cap can delete replaced prekeys here.
    const preKeyRotation = { intervalMs: HOUR, graceMs: 1_000 * HOUR }
    for (let i = 0; i < MAX_RETIRED_SIGNED_PREKEYS + 4; i++) {
      const c = await connect(server.url, 'bob', { keyStore, now: () => clock, preKeyRotation })
      await c.whenReady(20_000)
      await c.close()
      clock += 2 * HOUR
    }
    const me = (await inner.get('self')) as unknown as Self & { retiredPreKeys: { signed: Record<string, number> } }
    const held = (await inner.get('prekeys')) as unknown as { signedPreKeys: Record<string, unknown> }
    expect(me.signedPreKeyId).toBeGreaterThan(MAX_RETIRED_SIGNED_PREKEYS + 1) // control: it did rotate every time
    expect(Object.keys(me.retiredPreKeys.signed).length).toBeLessThanOrEqual(MAX_RETIRED_SIGNED_PREKEYS)
    expect(Object.keys(held.signedPreKeys).length).toBeLessThanOrEqual(MAX_RETIRED_SIGNED_PREKEYS + 1)
  })
})
