/**
 * The benchmarked operations, for Parley on a given provider and for libsignal-client, set up
 * the same way: one bundle reused, sessions established once, then each op repeatable.
 */
import {
  decryptMessage, encryptMessage, generateDeviceIdentity, generatePreKeys, initiateSession, KEM_LAST_RESORT_ID_BASE,
  type CryptoProvider, type SessionState,
} from '@parley/crypto'
import type { DeviceBundle } from '@parley/protocol'
import { libsignalEstablish, libsignalInitiate, libsignalRespond, libsignalSend, libsignalSetup } from './libsignal.js'

/** The rows of the comparison table, by op name. */
export const ROWS = [
  ['PQXDH initiator (+1st encrypt)', 'initiate'], ['PQXDH responder (1st decrypt)', 'respond'], ['PQXDH full session setup', 'setup'],
  ['PQXDH setup, last-resort KEM prekey', 'setupLastResort'],
  ['ratchet 100 B alternating enc+dec', 'alt100'], ['ratchet 100 B one-direction enc+dec', 'one100'],
  ['ratchet 64 KiB alternating enc+dec', 'alt64k'], ['ratchet 64 KiB one-direction enc+dec', 'one64k'],
] as const
export type OpName = (typeof ROWS)[number][1]
/** One column's operations, and a way to re-establish its session before the ratchet rows. */
export interface ColumnOps {
  ops: Record<OpName, () => Promise<unknown>>
  reestablish(): Promise<void>
}

const ctxAB = { protocolVersion: 2, conversationId: 'c', sender: { userId: 'a', deviceId: 'a1' }, recipient: { userId: 'b', deviceId: 'b1' } }
const ctxBA = { ...ctxAB, sender: ctxAB.recipient, recipient: ctxAB.sender }
const small = new Uint8Array(100).fill(7)
const large = new Uint8Array(64 * 1024).fill(7)

function parleyParties() {
  const alice = generateDeviceIdentity('a1')
  const bob = generateDeviceIdentity('b1')
  // Last-resort KEM ids are from KEM_LAST_RESORT_ID_BASE up (derived from the id, as the client does).
  const batch = generatePreKeys(bob, { signedPreKeyId: 1, kemLastResortId: KEM_LAST_RESORT_ID_BASE + 2, oneTimeStartId: 10, oneTimeCount: 1, kemOneTimeStartId: 100, kemOneTimeCount: 1 })
  const bundle: DeviceBundle = { deviceId: 'b1', signingKey: bob.signing.publicKey, identityKey: bob.identity.publicKey, signedPreKey: batch.public.signedPreKey!,
    kemPreKey: batch.public.kemOneTimePreKeys[0]!, kemPreKeyIsLastResort: false, oneTimePreKey: batch.public.oneTimePreKeys[0]! }
  // The same device with its last-resort KEM prekey instead (used once one-time KEM keys run out).
  const lastResortBundle: DeviceBundle = { ...bundle, kemPreKey: batch.public.kemLastResortPreKey!, kemPreKeyIsLastResort: true }
  return { alice, bob, batch, bundle, lastResortBundle }
}

/** Parley's operations on `provider`. */
export async function parleyOps(provider: CryptoProvider): Promise<ColumnOps> {
  const p = parleyParties()
  const initiate = async () => encryptMessage({ state: await initiateSession({ ours: p.alice, theirs: p.bundle, provider }), plaintext: small, context: ctxAB, provider })
  const first = await initiate()
  const respond = () => decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: first.ciphertext, context: ctxAB, provider })
  const r = await respond()
  const reply = await encryptMessage({ state: r.state, plaintext: small, context: ctxBA, provider })
  const s: Record<'a' | 'b', SessionState> = {
    a: (await decryptMessage({ state: first.state, ours: p.alice, preKeys: p.batch.secrets, type: 'message', ciphertext: reply.ciphertext, context: ctxBA, provider })).state,
    b: reply.state,
  }
  const send = async (from: 'a' | 'b', pt: Uint8Array) => {
    const to = from === 'a' ? 'b' : 'a'
    const ctx = from === 'a' ? ctxAB : ctxBA
    const e = await encryptMessage({ state: s[from], plaintext: pt, context: ctx, provider })
    s[from] = e.state
    s[to] = (await decryptMessage({ state: s[to], ours: to === 'a' ? p.alice : p.bob, preKeys: p.batch.secrets, type: e.type, ciphertext: e.ciphertext, context: ctx, provider })).state
  }
  let turn: 'a' | 'b' = 'a'
  const alternate = (pt: Uint8Array) => async () => { await send(turn, pt); turn = turn === 'a' ? 'b' : 'a' }
  const ops = {
    initiate, respond,
    setup: async () => { const m = await initiate(); await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB, provider }) },
    setupLastResort: async () => {
      const m = await encryptMessage({ state: await initiateSession({ ours: p.alice, theirs: p.lastResortBundle, provider }), plaintext: small, context: ctxAB, provider })
      await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB, provider })
    },
    alt100: alternate(small), one100: () => send('a', small), alt64k: alternate(large), one64k: () => send('a', large),
  }
  // Parley's sessions stay established between rows.
  return { ops, reestablish: async () => {} }
}

/** libsignal-client's operations. */
export async function libsignalOps(): Promise<ColumnOps> {
  const s = await libsignalSetup()
  const pt = new Uint8Array(small)
  const ptLarge = new Uint8Array(large)
  const first = await libsignalInitiate(s, pt)
  await libsignalEstablish(s)
  let turn: 'alice' | 'bob' = 'alice'
  const alternate = (m: Uint8Array<ArrayBuffer>) => async () => { await libsignalSend(s, turn, m); turn = turn === 'alice' ? 'bob' : 'alice' }
  const ops = {
    initiate: () => libsignalInitiate(s, pt),
    respond: () => libsignalRespond(s, first),
    setup: async () => { await libsignalRespond(s, await libsignalInitiate(s, pt)) },
    // libsignal has no last-resort distinction in its work: the same loop.
    setupLastResort: async () => { await libsignalRespond(s, await libsignalInitiate(s, pt)) },
    alt100: alternate(pt), one100: () => libsignalSend(s, 'alice', pt), alt64k: alternate(ptLarge), one64k: () => libsignalSend(s, 'alice', ptLarge),
  }
  return { ops, reestablish: () => libsignalEstablish(s) }
}

