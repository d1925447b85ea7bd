/**
 * Issue 12, row 14 (part): `kemIsLastResort` is an unsigned header flag. A hostile server
 * flips it in an initial message (or lies in the bundle's `kemPreKeyIsLastResort`).
 * Defence: both sides derive it from the KEM prekey's signed id (`isKemLastResortId`); a header
 * whose flag disagrees is refused as `bad_mac` before any DH, and the lie in the bundle changes
 * nothing. Real clients: alice talks to the server directly (or through the proxy for the
 * bundle lie), bob sits behind the tamper proxy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { KEY_BYTES } from '@parley/crypto'
import { fromBase64, toBase64 } from '@parley/protocol'
import type { ErrorPayload, Message, ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

/** Offset of the flags byte in a prekey message: version ‖ IK_A ‖ EK_A ‖ spkId ‖ kemId. */
const FLAGS = 1 + 2 * KEY_BYTES + 8
const flagOf = (ciphertext: string) => fromBase64(ciphertext)[FLAGS]! & 1
const flip = (ciphertext: string) => {
  const b = fromBase64(ciphertext).slice()
  b[FLAGS] = b[FLAGS]! ^ 1
  return toBase64(b)
}

async function setup(opts: { lastResort: boolean }) {
  server = await startServer({ policy: 'default-e2ee' })
  proxy = await startTamperProxy(server.url)
  // For the last-resort case the server strips bob's one-time keys from alice's bundle.
  let lastResortKey: unknown
  proxy.hooks.ack = (event, request, response, ctx) => {
    if (event === 'device.register' && ctx.userId === 'bob') lastResortKey = request.kemLastResortPreKey
    if (!opts.lastResort || event !== 'keys.fetch' || ctx.userId !== 'alice' || !response.ok || response.data.userId !== 'bob') return response
    const bundles = response.data.bundles.map(({ oneTimePreKey: _o, ...b }: any) => ({ ...b, kemPreKey: lastResortKey, kemPreKeyIsLastResort: true }))
    return { ...response, data: { ...response.data, bundles } }
  }
  const bob = await connect(proxy.url, 'bob')
  const alice = await connect(proxy.url, 'alice')
  clients.push(bob, alice)
  const errors: ErrorPayload[] = []
  const got: Message[] = []
  bob.on('error', (e) => void errors.push(e))
  bob.on('message', (m) => void (m.status === 'received' && got.push(m)))
  return { bob, alice, errors, got }
}

describe('row 14: the kemIsLastResort header flag flipped by the server', () => {
  for (const lastResort of [false, true]) {
    it(`${lastResort ? 'last-resort' : 'one-time'} KEM key: the flipped initial message → bad_mac, not shown; the same header unflipped decrypts`, async () => {
      const { alice, errors, got } = await setup({ lastResort })
      const flipped: { messageId: string; flag: number }[] = []
      proxy.hooks.serverFrame = (event, frame, ctx) => {
        if (event !== 'message' || ctx.userId !== 'bob' || frame.envelope?.type !== 'prekey' || flipped.length > 0) return [frame]
        flipped.push({ messageId: frame.messageId, flag: flagOf(frame.envelope.ciphertext) })
        return [{ ...frame, envelope: { ...frame.envelope, ciphertext: flip(frame.envelope.ciphertext) } }]
      }
      const ca = await alice.conversations.open('bob')
      await ca.send({ text: 'flipped on the way' })
      await ca.send({ text: 'untouched' })
      await waitFor(() => got.some((m) => m.text === 'untouched'), 20_000, 'the untouched message')
      // The flipped frame reached bob and raised the typed error; it was never shown.
      expect(flipped).toHaveLength(1)
      expect(flipped[0]!.flag).toBe(lastResort ? 1 : 0) // the honest flag follows the key id
      const e = errors.find((x) => x.messageId === flipped[0]!.messageId)
      expect(e?.error.code).toBe('bad_mac')
      expect(got.map((m) => m.text)).toEqual(['untouched'])
    }, 60_000)
  }

  it('a bundle whose kemPreKeyIsLastResort lies does not change the flag alice sends', async () => {
    const { alice, got } = await setup({ lastResort: false })
    const flags: number[] = []
    proxy.hooks.ack = (event, _req, response, ctx) => {
      if (event !== 'keys.fetch' || ctx.userId !== 'alice' || !response.ok || response.data.userId !== 'bob') return response
      return { ...response, data: { ...response.data, bundles: response.data.bundles.map((b: any) => ({ ...b, kemPreKeyIsLastResort: true })) } }
    }
    proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event === 'message' && ctx.userId === 'bob' && frame.envelope?.type === 'prekey') flags.push(flagOf(frame.envelope.ciphertext))
      return [frame]
    }
    const ca = await alice.conversations.open('bob')
    await ca.send({ text: 'hello' })
    await waitFor(() => got.some((m) => m.text === 'hello'), 20_000, 'hello')
    expect(flags).toEqual([0])
  }, 60_000)
})
