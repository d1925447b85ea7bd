/**
 * Issue 12, row 9: a hostile server holds a PQXDH initial (prekey) message and delivers it
 * again later — after more than 2,000 newer initial messages (the old count window), and
 * after the signed prekey it used was rotated.
 * Defence: replay ids are kept per signed prekey for as long as that prekey's secret exists
 * (never trimmed by count); signed and last-resort KEM prekeys rotate on a schedule and the
 * replaced secrets are deleted after a grace period, so a replay is refused as `replayed`
 * while it could be decrypted and fails with `missing_session` once the secret is gone.
 * Real clients: alice (and carol, dave) talk to the server directly; bob sits behind the
 * tamper proxy, runs on an injected clock, and is restarted on the same key store to let
 * time pass (each connect runs the rotation check after catch-up).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { decryptMessage, isKemLastResortId, KEY_BYTES, type DeviceIdentity, type PreKeySecrets } from '@parley/crypto'
import { fromBase64, PROTOCOL_VERSION } from '@parley/protocol'
import {
  DEFAULT_PREKEY_GRACE_MS, DEFAULT_PREKEY_ROTATION_MS, memoryKeyStore, type ErrorPayload, type KeyStore, type Message, type ParleyClient,
} from '@parley/client'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

const DAY = 24 * 60 * 60 * 1000

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

interface Self {
  deviceId: string
  device: DeviceIdentity
  signedPreKeyId: number
  kemLastResortId: number
  retiredPreKeys?: { signed: Record<string, number> }
}
interface Seen { bySignedPreKey: Record<string, string[]> }
interface Held { envelope: { type: 'prekey' | 'message'; ciphertext: string }; sender: { userId: string; deviceId: string }; conversationId: string; tf: string }

/** Offset of the flags byte in a prekey message: version ‖ IK_A ‖ EK_A ‖ spkId ‖ kemId. */
const FLAGS = 1 + 2 * KEY_BYTES + 8

describe('row 9: a held initial message replayed later', () => {
  it('is refused as replayed after 2,500 newer initial messages and through the grace period, and cannot be decrypted after rotation + grace', async () => {
    server = await startServer({ policy: 'default-e2ee' })
    proxy = await startTamperProxy(server.url)
    let clock = Date.now()
    const inner = memoryKeyStore()
    const keyStore: KeyStore = { ...inner, close: async () => undefined } // survives bob's restarts
    const read = async <T>(key: string) => (await inner.get(key)) as unknown as T
    const errors: ErrorPayload[] = []
    const got: Message[] = []
    let bob!: ParleyClient
    const startBob = async () => {
      bob = await connect(proxy.url, 'bob', { keyStore, now: () => clock })
      clients.push(bob)
      bob.on('error', (e) => void errors.push(e))
      bob.on('message', (m) => void (m.status === 'received' && got.push(m)))
      await bob.whenReady(20_000)
    }
    const stopBob = async () => {
      clients.splice(clients.indexOf(bob), 1)
      await bob.close()
    }

    // The hostile server hands alice a bundle of bob without one-time prekeys (only the
    // signed prekey and the last-resort KEM key), so her initial message uses nothing that is
    // consumed — and keeps a copy of it.
    let lastResort: unknown
    proxy.hooks.ack = (event, request, response, ctx) => {
      if (event === 'device.register' && ctx.userId === 'bob') lastResort = request.kemLastResortPreKey
      if (event !== 'keys.fetch' || ctx.userId !== 'alice' || !response.ok || response.data.userId !== 'bob') return response
      const bundles = response.data.bundles.map(({ oneTimePreKey: _o, ...b }: any) => ({ ...b, kemPreKey: lastResort, kemPreKeyIsLastResort: true }))
      return { ...response, data: { ...response.data, bundles } }
    }
    let held: Held | null = null
    let replayNext = false
    const replayed: string[] = []
    proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event !== 'message' || ctx.userId !== 'bob' || !frame.envelope || frame.sender.userId !== 'alice') return [frame]
      if (!held && frame.envelope.type === 'prekey') held = { envelope: { ...frame.envelope }, sender: { ...frame.sender }, conversationId: frame.conversationId, tf: frame.franking.tf }
      if (!replayNext || !held) return [frame]
      // The replay: alice's next delivery (new id, seq and inbox id) carries the held
      // ciphertext and its franking commitment instead of its own.
      replayNext = false
      replayed.push(frame.messageId)
      return [{ ...frame, envelope: { ...held.envelope }, franking: { ...frame.franking, tf: held.tf } }]
    }
    /** Alice sends a carrier; the server swaps in the held message. Returns bob's typed error for it. */
    const replay = async (): Promise<ErrorPayload> => {
      replayNext = true
      const before = got.length
      await ca.send({ text: `carrier ${replayed.length}` })
      const id = () => replayed[replayed.length - 1]
      // Reached bob: either shown (the attack works) or refused with a typed error event.
      await waitFor(() => replayed.length > 0 && (errors.some((e) => e.messageId === id()) || got.some((m) => m.id === id())), 20_000, 'the replay to reach bob')
      expect(got.slice(before).map((m) => m.text)).toEqual([]) // never shown
      return errors.find((e) => e.messageId === id())!
    }
    /** Decrypts the held message directly with bob's stored secrets and NO replay list. */
    const decryptHeldWithoutReplayList = async () => {
      const self = await read<Self>('self')
      return decryptMessage({
        ours: self.device, preKeys: await read<PreKeySecrets>('prekeys'), type: 'prekey', ciphertext: held!.envelope.ciphertext,
        context: { protocolVersion: PROTOCOL_VERSION, conversationId: held!.conversationId, sender: held!.sender, recipient: { userId: 'bob', deviceId: self.deviceId } },
      })
    }
    /** Bob forgets his session with alice while offline (as after a reset or a newer session). */
    const dropAliceSession = async () => {
      for (const k of await inner.keys('session/alice/')) await inner.delete(k)
    }

    await startBob()
    const alice = await connect(proxy.url, 'alice')
    clients.push(alice)
    const ca = await alice.conversations.open('bob')
    await ca.send({ text: 'first' })
    await waitFor(() => got.some((m) => m.text === 'first'), 20_000, 'first message')
    expect(held).not.toBeNull()
    // Control: the held message is replayable in principle — no one-time X25519 prekey, the
    // last-resort KEM key — and with bob's secrets but without his replay list it decrypts.
    const header = fromBase64(held!.envelope.ciphertext)
    expect(header[FLAGS]! & 2).toBe(0)
    const spk1 = (await read<Self>('self')).signedPreKeyId
    expect(isKemLastResortId(new DataView(header.buffer, header.byteOffset).getUint32(1 + 2 * KEY_BYTES + 4))).toBe(true)
    expect(new TextDecoder().decode((await decryptHeldWithoutReplayList()).plaintext).length).toBeGreaterThan(0)

    // 2,500 newer initial messages accepted on the same signed prekey (written into bob's
    // store while he is offline), then one more real one from carol: with the old window
    // of 2,000 ids that write would have evicted alice's.
    await stopBob()
    await dropAliceSession()
    const seen = await read<Seen>('seen-initial')
    const filler = Array.from({ length: 2_500 }, (_, i) => `filler-${i}-${'A'.repeat(30)}`)
    await inner.set('seen-initial', { bySignedPreKey: { ...seen.bySignedPreKey, [spk1]: [...seen.bySignedPreKey[spk1]!, ...filler] } })
    await startBob()
    const carol = await connect(server.url, 'carol')
    clients.push(carol)
    await (await carol.conversations.open('bob')).send({ text: 'from carol' })
    await waitFor(() => got.some((m) => m.text === 'from carol'), 20_000, 'carol')
    expect((await read<Seen>('seen-initial')).bySignedPreKey[spk1]!.length).toBe(2_502)

    // Inside the window: refused as a replay — the frame reached bob and raised the typed error.
    expect((await replay()).error.code).toBe('replayed')

    // A week later bob rotates on connect: the server hands out the new signed prekey; the old
    // secret and the replay ids stay through the grace period.
    clock += DEFAULT_PREKEY_ROTATION_MS + 1
    await stopBob()
    await startBob()
    const rotated = await read<Self>('self')
    expect(rotated.signedPreKeyId).toBe(spk1 + 1)
    expect(rotated.retiredPreKeys?.signed[spk1]).toBe(clock)
    const bundle = (await server.parley.store().claimBundles('bob'))!.bundles[0]!
    expect(bundle.signedPreKey.id).toBe(spk1 + 1)
    expect((await replay()).error.code).toBe('replayed')
    // Control: a new peer's session starts on the new signed prekey.
    const dave = await connect(server.url, 'dave')
    clients.push(dave)
    await (await dave.conversations.open('bob')).send({ text: 'from dave' })
    await waitFor(() => got.some((m) => m.text === 'from dave'), 20_000, 'dave')

    // After the grace period the old secret and its replay ids are gone: the replay fails
    // because nothing can decrypt it any more — it is not accepted as new.
    clock += DEFAULT_PREKEY_GRACE_MS + DAY
    await stopBob()
    await dropAliceSession()
    await startBob()
    const secrets = await read<PreKeySecrets>('prekeys')
    expect(Object.keys(secrets.signedPreKeys)).not.toContain(String(spk1))
    expect((await read<Seen>('seen-initial')).bySignedPreKey[spk1]).toBeUndefined()
    expect((await read<Self>('self')).signedPreKeyId).toBe(spk1 + 2) // and rotated again: another week passed
    await expect(decryptHeldWithoutReplayList()).rejects.toMatchObject({ code: 'missing_session' })
    expect((await replay()).error.code).toBe('missing_session')
    expect(got.filter((m) => m.text === 'first')).toHaveLength(1)
    expect(got.some((m) => m.text.startsWith('carrier'))).toBe(false)
  }, 120_000)
})
