/**
 * Issue 12, row 7: one garbage ciphertext, or a replayed initial (prekey) message with its
 * last-resort flag flipped, used to delete the working session with the sender's device (the
 * bounded reset), so the peer's next honest message failed `missing_session`. Unauthenticated
 * input now never destroys state: the forgery surfaces as a typed error, every session state
 * is kept (the reset only marks the session for renewal), and the next honest message
 * decrypts and is shown. Real clients, a real server, a tampering proxy in between.
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryKeyStore, type KeyStore, type ParleyClient } from '@parley/client'
import { PREKEY_HEADER_BYTES } from '@parley/crypto'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { establishBothWays } from './_world.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

/** Offset of the flags byte in the PQXDH header: version ‖ IK_A ‖ EK_A ‖ spkId ‖ kemId ‖ flags. */
const FLAGS_OFFSET = 1 + 32 + 32 + 4 + 4

/** Bob's stored session record with alice's device. */
type SessionRecord = { states: unknown[]; renew?: boolean }
const recordOf = async (store: KeyStore, key: string) => (await store.get(key)) as unknown as SessionRecord | null

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

async function setup() {
  server = await startServer({ policy: 'default-e2ee' })
  proxy = await startTamperProxy(server.url)
  const bobStore: KeyStore = memoryKeyStore()
  const alice = await connect(server.url, 'alice') // honest path
  const bob = await connect(proxy.url, 'bob', { keyStore: bobStore }) // behind the hostile server
  clients.push(alice, bob)
  // Every e2ee frame from alice to bob passes here; a test swaps `tamper` in for one frame.
  const seen: any[] = []
  let tamper: ((frame: any) => any) | null = null
  const tampered: string[] = []
  proxy.hooks.serverFrame = (event, frame, ctx) => {
    if (event !== 'message' || ctx.userId !== 'bob' || frame.mode !== 'e2ee' || frame.sender?.userId !== 'alice') return [frame]
    seen.push(frame)
    if (!tamper) return [frame]
    const forged = tamper(frame)
    tamper = null
    tampered.push(forged.messageId)
    return [forged]
  }
  // Both directions established: alice's first message is a prekey message, bob replies.
  const { ca, cb, errors, bobGot } = await establishBothWays(alice, bob, 'on the established session')
  const sessionKey = `session/alice/${encodeURIComponent(alice.deviceId)}`
  return {
    alice, bob, ca, cb, errors, bobGot, seen, tampered, bobStore, sessionKey,
    /** The next alice → bob frame goes through `f`. */
    tamperNext(f: (frame: any) => any) {
      tamper = f
    },
  }
}

describe('row 7: a forged ciphertext never destroys the working session', () => {
  it('garbage ciphertext → typed bad_mac error; the session is kept; the next honest message decrypts and is shown', async () => {
    const w = await setup()
    const before = (await recordOf(w.bobStore, w.sessionKey))!
    expect(before.states.length).toBeGreaterThan(0)
    w.tamperNext((frame) => {
      const len = Buffer.from(frame.envelope.ciphertext, 'base64').length
      return { ...frame, envelope: { type: 'message', ciphertext: randomBytes(len).toString('base64') } }
    })
    await w.ca.send({ text: 'replaced by garbage in transit' })
    // Control: the forged frame reached bob's client and was rejected with a typed error.
    await waitFor(() => w.errors.length > 0, 10_000, 'error event for the forged frame')
    expect(w.errors[0]!.messageId).toBe(w.tampered[0])
    expect(w.errors[0]!.error.code).toBe('bad_mac')
    expect(w.errors[0]!.device?.userId).toBe('alice')
    // Nothing was destroyed: every state the session had is still there.
    const after = (await recordOf(w.bobStore, w.sessionKey))!
    expect(after.states).toEqual(before.states)
    // The peer's next honest message still decrypts (before the fix: missing_session).
    await w.ca.send({ text: 'honest after the forgery' })
    await waitFor(() => w.bobGot.length === 3, 10_000, 'honest message after the forgery')
    expect(w.bobGot.map((m) => m.text)).toEqual(['hello bob', 'on the established session', 'honest after the forgery'])
    expect(w.errors.map((e) => e.error.code)).toEqual(['bad_mac'])
    // And bob can still answer on the session he kept.
    await w.cb.send({ text: 'bob still talks' })
  })

  it('a replayed initial message with the last-resort flag flipped → typed error; the next honest message decrypts and is shown', async () => {
    const w = await setup()
    const initial = w.seen.find((f) => f.envelope?.type === 'prekey')
    expect(initial).toBeDefined()
    const before = (await recordOf(w.bobStore, w.sessionKey))!
    // Control: the unmodified replay reaches bob and is refused as a duplicate of the initial message.
    w.tamperNext((frame) => ({ ...frame, envelope: initial.envelope }))
    await w.ca.send({ text: 'replaced by a plain replay' })
    await waitFor(() => w.errors.length === 1, 10_000, 'error for the plain replay')
    expect(w.errors[0]!.messageId).toBe(w.tampered[0])
    expect(['duplicate', 'replayed']).toContain(w.errors[0]!.error.code)
    // The attack: the same initial message with its (unsigned) last-resort flag flipped.
    const bytes = Buffer.from(initial.envelope.ciphertext, 'base64')
    expect(bytes.length).toBeGreaterThan(PREKEY_HEADER_BYTES)
    bytes[FLAGS_OFFSET]! ^= 1
    w.tamperNext((frame) => ({ ...frame, envelope: { type: 'prekey', ciphertext: bytes.toString('base64') } }))
    await w.ca.send({ text: 'replaced by a flipped replay' })
    await waitFor(() => w.errors.length === 2, 10_000, 'error for the flipped replay')
    expect(w.errors[1]!.messageId).toBe(w.tampered[1])
    expect(['bad_mac', 'replayed', 'missing_session']).toContain(w.errors[1]!.error.code)
    // Every session state is still there (a reset may only have marked it for renewal).
    const after = (await recordOf(w.bobStore, w.sessionKey))!
    expect(after.states).toEqual(before.states)
    await w.ca.send({ text: 'honest after the replay' })
    await waitFor(() => w.bobGot.length === 3, 10_000, 'honest message after the replay')
    expect(w.bobGot.at(-1)!.text).toBe('honest after the replay')
    expect(w.errors).toHaveLength(2)
  })

  it('after a reset marked the session for renewal, bob starts a new session yet still reads the old one', async () => {
    const w = await setup()
    w.tamperNext((frame) => ({ ...frame, envelope: { type: 'message', ciphertext: randomBytes(120).toString('base64') } }))
    await w.ca.send({ text: 'garbage' })
    await waitFor(() => w.errors.length === 1, 10_000, 'error event')
    expect(w.errors[0]!.sessionReset).toBe(true)
    const marked = (await recordOf(w.bobStore, w.sessionKey))!
    expect(marked.renew).toBe(true)
    // Bob's next send starts a fresh session in front and keeps the old state behind it.
    await w.cb.send({ text: 'bob on a new session' })
    const renewed = (await recordOf(w.bobStore, w.sessionKey))!
    expect(renewed.renew).toBeUndefined()
    expect(renewed.states.length).toBe(marked.states.length + 1)
    expect(renewed.states.slice(1)).toEqual(marked.states)
    // Alice's honest message on the old session still decrypts.
    await w.ca.send({ text: 'alice on the old session' })
    await waitFor(() => w.bobGot.length === 3, 10_000, 'old-session message')
    expect(w.bobGot.at(-1)!.text).toBe('alice on the old session')
    expect(w.errors).toHaveLength(1)
  })
})
