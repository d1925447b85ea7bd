/** Shared fixtures: two devices, a bundle, contexts, and a seeded session pair. */
import {
  decryptMessage, encryptMessage, generateDeviceIdentity, generatePreKeys, initiateSession, KEM_LAST_RESORT_ID_BASE, nobleProvider, seededRandom,
  type CryptoProvider, type DeviceIdentity, type MessageContext, type PreKeyBatch, type SessionState,
} from '../src/index.js'
import type { DeviceBundle } from '@parley/protocol'

export const enc = (s: string) => new TextEncoder().encode(s)
export const dec = (b: Uint8Array) => new TextDecoder().decode(b)
export const seed = (n: number) => new Uint8Array(32).fill(n)

export const ctxAB: MessageContext = {
  protocolVersion: 2, conversationId: 'conv-1', sender: { userId: 'alice', deviceId: 'a1' }, recipient: { userId: 'bob', deviceId: 'b1' },
}
export const ctxBA: MessageContext = { ...ctxAB, sender: ctxAB.recipient, recipient: ctxAB.sender }
export const noPreKeys = { signedPreKeys: {}, oneTimePreKeys: {}, kemPreKeys: {} }

export interface Parties {
  alice: DeviceIdentity
  bob: DeviceIdentity
  batch: PreKeyBatch
  bundle: DeviceBundle
}

/** Deterministic devices and prekeys from a seed byte. */
export function parties(s = 1, withOneTime = true): Parties {
  const random = seededRandom(seed(s))
  const alice = generateDeviceIdentity('a1', random)
  const bob = generateDeviceIdentity('b1', random)
  const batch = generatePreKeys(bob, {
    signedPreKeyId: 1, kemLastResortId: KEM_LAST_RESORT_ID_BASE + 2, oneTimeStartId: 10, oneTimeCount: 2, kemOneTimeStartId: 100, kemOneTimeCount: 1, random,
  })
  const bundle: DeviceBundle = {
    deviceId: 'b1', signingKey: bob.signing.publicKey, identityKey: bob.identity.publicKey,
    signedPreKey: batch.public.signedPreKey!, kemPreKey: batch.public.kemOneTimePreKeys[0]!, kemPreKeyIsLastResort: false,
    ...(withOneTime ? { oneTimePreKey: batch.public.oneTimePreKeys[0]! } : {}),
  }
  return { alice, bob, batch, bundle }
}

/** An established session pair (Alice sent one prekey message, Bob replied once, Alice read it). */
export async function establish(provider: CryptoProvider = nobleProvider, s = 1): Promise<Parties & { a: SessionState; b: SessionState }> {
  const p = parties(s)
  const random = seededRandom(seed(s + 100))
  let a = await initiateSession({ ours: p.alice, theirs: p.bundle, provider, random })
  const m1 = await encryptMessage({ state: a, plaintext: enc('hello'), context: ctxAB, provider })
  a = m1.state
  const r1 = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: m1.type, ciphertext: m1.ciphertext, context: ctxAB, provider, random })
  const m2 = await encryptMessage({ state: r1.state, plaintext: enc('hi'), context: ctxBA, provider })
  const r2 = await decryptMessage({ state: a, ours: p.alice, preKeys: noPreKeys, type: m2.type, ciphertext: m2.ciphertext, context: ctxBA, provider, random })
  return { ...p, a: r2.state, b: m2.state }
}
