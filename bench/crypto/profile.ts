/**
 * Per-step timings of PQXDH session setup and of a 64 KiB ratchet message (native provider,
 * beside noble for each primitive), to see where the time goes.
 * Run: npx tsx --conditions=@parley/source crypto/profile.ts (under any Node line).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { fromBase64, toBase64 } from '@parley/protocol'
import {
  decryptMessage, encryptMessage, generateDeviceIdentity, generatePreKeys, initiateSession, KEM_LAST_RESORT_ID_BASE, nobleProvider,
  nodeNativeProvider, verifyBundleWith,
} from '@parley/crypto'
import type { DeviceBundle } from '@parley/protocol'

const MS = Number(process.env.BENCH_MS ?? 400)
async function t(name: string, op: () => unknown): Promise<void> {
  for (let i = 0; i < 5; i++) await op()
  let n = 0
  const start = performance.now()
  while (performance.now() - start < MS) { await op(); n++ }
  const us = ((performance.now() - start) * 1000) / n
  console.log(`${name.padEnd(44)}${us.toFixed(1).padStart(10)} µs`)
}

const provider = nodeNativeProvider()
const alice = generateDeviceIdentity('a1')
const bob = generateDeviceIdentity('b1')
const batch = generatePreKeys(bob, { signedPreKeyId: 1, kemLastResortId: KEM_LAST_RESORT_ID_BASE + 2, oneTimeStartId: 10, oneTimeCount: 1, kemOneTimeStartId: 100, kemOneTimeCount: 1 })
const bundle: DeviceBundle = { deviceId: 'b1', signingKey: bob.signing.publicKey, identityKey: bob.identity.publicKey, signedPreKey: batch.public.signedPreKey!,
  kemPreKey: batch.public.kemOneTimePreKeys[0]!, kemPreKeyIsLastResort: false, oneTimePreKey: batch.public.oneTimePreKeys[0]! }
const ctx = { protocolVersion: 2, conversationId: 'c', sender: { userId: 'a', deviceId: 'a1' }, recipient: { userId: 'b', deviceId: 'b1' } }
const small = new Uint8Array(100).fill(7)
const large = new Uint8Array(64 * 1024).fill(7)

const kp = ml_kem768.keygen()
const enc = ml_kem768.encapsulate(kp.publicKey)
const sk = new Uint8Array(32).fill(1)
const pk = provider.x25519PublicKey(new Uint8Array(32).fill(2)) as Uint8Array
console.log(`Node ${process.version}; native: ${provider.accelerated.join(', ')}`)
await t('ml_kem768.keygen (noble)', () => ml_kem768.keygen())
await t('ML-KEM encapsulate (noble)', () => nobleProvider.mlKem768Encapsulate(kp.publicKey))
await t('ML-KEM encapsulate (native provider, key import included)', () => provider.mlKem768Encapsulate(kp.publicKey))
await t('ML-KEM decapsulate (noble)', () => nobleProvider.mlKem768Decapsulate(enc.cipherText, kp.secretKey))
await t('ML-KEM decapsulate (native provider, key import included)', () => provider.mlKem768Decapsulate(enc.cipherText, kp.secretKey))
await t('ML-KEM prepared decapsulate (noble, last resort)', () => nobleProvider.mlKem768Decapsulate(enc.cipherText, kp.secretKey, true))
await t('native x25519 DH (cached keys)', () => provider.x25519(sk, pk))
await t('native x25519 DH (fresh secret)', () => provider.x25519(crypto.getRandomValues(new Uint8Array(32)), pk))
await t('native x25519PublicKey (fresh secret)', () => provider.x25519PublicKey(crypto.getRandomValues(new Uint8Array(32))))
await t('verifyBundleWith (native)', () => verifyBundleWith(bundle, provider))
await t('initiateSession', () => initiateSession({ ours: alice, theirs: bundle, provider }))
const st = await initiateSession({ ours: alice, theirs: bundle, provider })
await t('encryptMessage first (100 B)', () => encryptMessage({ state: st, plaintext: small, context: ctx, provider }))
const first = await encryptMessage({ state: st, plaintext: small, context: ctx, provider })
await t('decryptMessage prekey (100 B)', () => decryptMessage({ ours: bob, preKeys: batch.secrets, type: 'prekey', ciphertext: first.ciphertext, context: ctx, provider }))
await t('JSON round trip of state', () => JSON.parse(JSON.stringify(st)))
// 64 KiB pieces
const key = new Uint8Array(32).fill(3)
const nonce = new Uint8Array(24).fill(4)
for (const p of [nobleProvider, provider]) {
  await t(`xchacha20 64 KiB (${p.name})`, () => p.xchacha20(key, nonce, large))
  await t(`hmac-sha256 64 KiB (${p.name})`, () => p.hmacSha256(key, large))
  await t(`xchacha20 100 B (${p.name})`, () => p.xchacha20(key, nonce, small))
  await t(`hmac-sha256 1 B (${p.name})`, () => p.hmacSha256(key, small.subarray(0, 1)))
  await t(`hkdf-sha256 88 B (${p.name})`, () => p.hkdfSha256(key, undefined, nonce, 88))
}
const b64 = toBase64(large)
await t('@parley/protocol toBase64 64 KiB', () => toBase64(large))
await t('@parley/protocol fromBase64 64 KiB', () => fromBase64(b64))
const r = await decryptMessage({ ours: bob, preKeys: batch.secrets, type: 'prekey', ciphertext: first.ciphertext, context: ctx, provider })
const ctxBA = { ...ctx, sender: ctx.recipient, recipient: ctx.sender }
await t('encryptMessage 64 KiB (bob, steady)', () => encryptMessage({ state: r.state, plaintext: large, context: ctxBA, provider }))
const e64 = await encryptMessage({ state: r.state, plaintext: large, context: ctxBA, provider })
await t('decryptMessage 64 KiB (alice, DH step)', () => decryptMessage({ state: first.state, ours: alice, preKeys: batch.secrets, type: e64.type, ciphertext: e64.ciphertext, context: ctxBA, provider }))
