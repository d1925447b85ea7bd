/**
 * Issue 19's edge findings against a live server on PGlite (where the `internal` errors came
 * from): oversized frames refused by their bounds before the hello check, the signature
 * budget on costly `keys.publish` frames, the server's Ed25519 checks on its picked provider,
 * and repeated prekey ids, NUL and non-canonical base64 refused as `invalid_frame` with the
 * store unchanged and nothing reported to `onError`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generatePreKeys, nobleProvider, type CryptoProvider } from '@parley/crypto'
import { MAX_PREKEYS_PER_UPLOAD, type ConversationInfo } from '@parley/protocol'
import { call, connect, connectDevice, errorCode, ok, type TestDevice } from './helpers/client.js'
import { makeTestUser, plainSend, type TestUser } from './helpers/device.js'
import { freshPgliteStore } from './helpers/pglite.js'
import { startTestServer, type TestServer } from './helpers/server.js'
import { keysPublish } from '../src/handlers/keys.js'
import { MAX_FRAME_SIGNATURES, signatureCost } from '../src/frame-cost.js'
import type { Ctx, Session } from '../src/context.js'

/** `b64` with the character before its padding moved up one: padding bits set. */
function paddingBitsSet(b64: string): string {
  const i = b64.replace(/=+$/, '').length - 1
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  return b64.slice(0, i) + alphabet[alphabet.indexOf(b64[i]!) + 1]! + b64.slice(i + 1)
}

describe('edge limits on PGlite', () => {
  let server: TestServer
  const errors: unknown[] = []
  let alice: TestUser
  let bob: TestUser
  let a: TestDevice
  let b: TestDevice
  let convo: ConversationInfo

  async function snapshot() {
    const s = server.parley.store()
    return {
      prekeys: await s.countPreKeys(alice.userId, 'd1'),
      devices: await s.listDevices(alice.userId),
      reports: await s.countReports(),
      history: (await s.history(convo.id, { userId: alice.userId, deviceId: 'd1' }, undefined, 100, Date.now())).map((r) => r.message.id),
    }
  }

  beforeAll(async () => {
    server = await startTestServer({
      policy: 'server-side', store: freshPgliteStore(), onError: (e) => void errors.push(e),
      limits: { connection: { capacity: 10_000, refillPerSecond: 10_000 }, user: { capacity: 10_000, refillPerSecond: 10_000 } },
    })
    alice = makeTestUser(1)
    bob = makeTestUser(1)
    a = await connectDevice(server.url, alice)
    b = await connectDevice(server.url, bob)
    convo = (await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })).conversation
    await ok(a.socket, 'message.send', plainSend(convo.id, 'hello'))
  }, 120_000)
  afterAll(async () => {
    a?.close()
    b?.close()
    await server?.close()
  })

  it('an oversized frame from a socket that never said hello is refused by its bounds, not parsed; a sane one gets unauthorized', async () => {
    const s = await connect(server.url, alice.userId)
    try {
      expect(await errorCode(s, 'message.send', { conversationId: convo.id, clientMessageId: 'x', tf: 'x', mode: 'e2ee', envelopes: Array(330_000).fill({}), attachments: [] })).toBe('payload_too_large')
      expect(await errorCode(s, 'receipt.send', { conversationId: convo.id, status: 'read', messageIds: Array(520_000).fill(0) })).toBe('payload_too_large')
      expect(await errorCode(s, 'keys.publish', { kemOneTimePreKeys: Array(340_000).fill({}) })).toBe('payload_too_large')
      expect(await errorCode(s, 'message.send', plainSend(convo.id, 'hi'))).toBe('unauthorized') // control: within bounds
    } finally {
      s.close()
    }
  })

  it('repeated prekey ids, non-canonical base64 and NUL text are invalid_frame; the store is unchanged and onError silent', async () => {
    const before = await snapshot()
    const batch = generatePreKeys(alice.devices[0]!, { oneTimeStartId: 500, oneTimeCount: 2, kemOneTimeStartId: 500, kemOneTimeCount: 2 })
    const [k1, k2] = batch.public.kemOneTimePreKeys
    const [o1] = batch.public.oneTimePreKeys
    const frames: [string, unknown][] = [
      ['keys.publish', { oneTimePreKeys: [o1, { ...o1 }] }],
      ['keys.publish', { kemOneTimePreKeys: [k1, { ...k2!, id: k1!.id }] }],
      ['keys.publish', { oneTimePreKeys: [{ ...o1!, publicKey: paddingBitsSet(o1!.publicKey) }] }],
      ['keys.publish', { kemOneTimePreKeys: [{ ...k1!, signature: paddingBitsSet(k1!.signature) }] }],
      ['message.send', { ...plainSend(convo.id, 'x'), tf: paddingBitsSet(plainSend(convo.id, 'x').tf) }],
      ['report.submit', { reportId: 'r-nul', conversationId: convo.id, reason: 'sp\u0000am', entries: [] }],
      ['report.submit', { reportId: 'r-surrogate', conversationId: convo.id, reason: 'x\uD800', entries: [] }],
    ]
    for (const [event, frame] of frames) expect([event, await errorCode(a.socket, event, frame)]).toEqual([event, 'invalid_frame'])
    const sent = plainSend(convo.id, 'x') as ReturnType<typeof plainSend> & { body: { nf: string } }
    expect(await errorCode(a.socket, 'message.send', { ...sent, body: { ...sent.body, nf: paddingBitsSet(sent.body.nf) } })).toBe('invalid_frame')
    expect(await snapshot()).toEqual(before)
    // Control: the same keys without the repeat are stored.
    expect((await ok(a.socket, 'keys.publish', { oneTimePreKeys: [o1], kemOneTimePreKeys: [k1, k2] })).kemOneTimePreKeys).toBe(before.prekeys.kemOneTimePreKeys + 2)
    expect(errors).toEqual([])
  })

  it('costly frames draw on a signature budget: a flood of 100-signature keys.publish is rate_limited after the capacity', async () => {
    const s = await connectDevice(server.url, makeTestUser(1))
    try {
      const batch = generatePreKeys(makeTestUser(1).devices[0]!, {
        kemOneTimeStartId: 1_000, kemOneTimeCount: MAX_PREKEYS_PER_UPLOAD, oneTimeCount: 0, oneTimeStartId: 0,
      })
      // Signed by another device's key: each frame reaches verification and fails there (control).
      const frame = { kemOneTimePreKeys: batch.public.kemOneTimePreKeys }
      expect(signatureCost('keys.publish', frame)).toBe(MAX_PREKEYS_PER_UPLOAD)
      const codes: string[] = []
      for (let i = 0; i < 4; i++) codes.push(await errorCode(s.socket, 'keys.publish', frame))
      expect(codes).toEqual(['invalid_signature', 'invalid_signature', 'rate_limited', 'rate_limited'])
      const limited = await call(s.socket, 'keys.publish', frame)
      expect(limited.ok ? undefined : limited.error.details).toMatchObject({ scope: 'signatures' })
    } finally {
      s.close()
    }
  })

  it('a limit below one costly frame is refused at start', async () => {
    await expect(startTestServer({ limits: { signatures: { capacity: MAX_FRAME_SIGNATURES - 1, refillPerSecond: 1 } } })).rejects.toThrow(RangeError)
  })
})

describe('the server verifies signatures on the provider it picked', () => {
  it('keys.publish asks ctx.crypto (counted), never noble directly', async () => {
    const user = makeTestUser(1)
    const device = user.devices[0]!
    const batch = generatePreKeys(device, { kemOneTimeStartId: 1, kemOneTimeCount: 5, oneTimeStartId: 1, oneTimeCount: 0, signedPreKeyId: 3 })
    let calls = 0
    const counting: CryptoProvider = { ...nobleProvider, name: 'counting', ed25519Verify: (pk, m, sig) => (calls++, nobleProvider.ed25519Verify(pk, m, sig)) }
    const ctx = {
      crypto: counting,
      store: {
        getDevice: async () => ({ signingKey: device.signing.publicKey }),
        publishPreKeys: async () => ({ oneTimePreKeys: 0, kemOneTimePreKeys: 5 }),
      },
    } as unknown as Ctx
    const session = { userId: user.userId, deviceId: device.deviceId, registered: true } as unknown as Session
    await keysPublish.run(ctx, session, { signedPreKey: batch.public.signedPreKey, kemOneTimePreKeys: batch.public.kemOneTimePreKeys })
    expect(calls).toBe(6)
  })
})
