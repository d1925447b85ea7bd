/**
 * Prekeys (PQXDH §2.4, §3.2): a signed X25519 prekey, one-time X25519 prekeys, a signed
 * ML-KEM-768 last-resort prekey and signed one-time ML-KEM-768 prekeys. Signatures are by the
 * device's Ed25519 signing key over a labelled encoding of (id, public key).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { InternalError, InvalidSignatureError, parseWith, DeviceBundleSchema, type DeviceBundle } from '@parley/protocol'
import { ab64, aint } from './_assert.js'
import { concat, toBase64, u32be, utf8 } from './_bytes.js'
import { KEM_LAST_RESORT_ID_BASE, KEM_PUBLIC_KEY_BYTES, MAX_PREKEY_BATCH } from './constants.js'
import type { DeviceIdentity } from './identity.js'
import { LABELS } from './kdf.js'
import { passesEd25519Precheck } from './ed25519-rule.js'
import { nobleProvider } from './provider/noble.js'
import type { Awaitable, CryptoProvider } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'

/** Secrets a device keeps for its published prekeys (JSON-safe, base64, by id). */
export interface PreKeySecrets {
  signedPreKeys: Record<number, string>
  oneTimePreKeys: Record<number, string>
  /** ML-KEM-768 decapsulation keys (last resort and one-time) by id. */
  kemPreKeys: Record<number, string>
}
/** A signed public prekey. */
export interface SignedPublicPreKey {
  id: number
  publicKey: string
  signature: string
}
/** Public prekeys to upload, with their secrets. */
export interface PreKeyBatch {
  public: {
    signedPreKey?: SignedPublicPreKey
    kemLastResortPreKey?: SignedPublicPreKey
    oneTimePreKeys: { id: number; publicKey: string }[]
    kemOneTimePreKeys: SignedPublicPreKey[]
  }
  secrets: PreKeySecrets
}
/** Options of {@link generatePreKeys}. */
export interface GeneratePreKeysOptions {
  signedPreKeyId?: number
  kemLastResortId?: number
  oneTimeStartId: number
  oneTimeCount: number
  kemOneTimeStartId: number
  kemOneTimeCount: number
  /** Randomness seam (tests and vectors). */
  random?: RandomSource
}

/**
 * Whether ML-KEM prekey `id` is a last-resort key: ids from {@link KEM_LAST_RESORT_ID_BASE}
 * up. Derived from the (signed) id, so neither a server nor an initiator can claim it.
 */
export function isKemLastResortId(id: number): boolean {
  return id >= KEM_LAST_RESORT_ID_BASE
}

/** Bytes signed for an X25519 signed prekey. */
export function preKeySigningBytes(id: number, publicKey: Uint8Array): Uint8Array {
  return concat(utf8(LABELS.preKey), u32be(id), publicKey)
}
/** Bytes signed for an ML-KEM prekey. */
export function kemPreKeySigningBytes(id: number, publicKey: Uint8Array): Uint8Array {
  return concat(utf8(LABELS.kemPreKey), u32be(id), publicKey)
}

/** The keys a batch will hold, their randomness drawn in a fixed order (the vectors rely on it). */
interface PreKeyPlan {
  signed?: { id: number; secret: Uint8Array }
  kemLastResort?: { id: number; seed: Uint8Array }
  oneTime: { id: number; secret: Uint8Array }[]
  kem: { id: number; seed: Uint8Array }[]
}

function planPreKeys(opts: GeneratePreKeysOptions): PreKeyPlan {
  const random = opts.random ?? systemRandom
  aint(opts.oneTimeCount, 'oneTimeCount', MAX_PREKEY_BATCH)
  aint(opts.kemOneTimeCount, 'kemOneTimeCount', MAX_PREKEY_BATCH)
  aint(opts.oneTimeStartId, 'oneTimeStartId', 0xffff_ffff - opts.oneTimeCount)
  aint(opts.kemOneTimeStartId, 'kemOneTimeStartId', 0xffff_ffff - opts.kemOneTimeCount)
  const plan: PreKeyPlan = { oneTime: [], kem: [] }
  if (opts.signedPreKeyId !== undefined) plan.signed = { id: aint(opts.signedPreKeyId, 'signedPreKeyId', 0xffff_ffff), secret: random(32) }
  if (opts.kemLastResortId !== undefined) plan.kemLastResort = { id: aint(opts.kemLastResortId, 'kemLastResortId', 0xffff_ffff), seed: random(64) }
  for (let i = 0; i < opts.oneTimeCount; i++) plan.oneTime.push({ id: opts.oneTimeStartId + i, secret: random(32) })
  for (let i = 0; i < opts.kemOneTimeCount; i++) plan.kem.push({ id: opts.kemOneTimeStartId + i, seed: random(64) })
  return plan
}

/** X25519 public keys and Ed25519 signatures: noble's (synchronous) or a provider's. */
interface PreKeyOps<R> {
  x25519PublicKey(secret: Uint8Array): R
  sign(message: Uint8Array): R
  /** `f` applied to the value of `r` (the signed prekey is signed over its public key). */
  chain(r: R, f: (value: Uint8Array) => R): R
  /** `build` over every result, once they are all there. */
  all(results: R[], build: (values: Uint8Array[]) => PreKeyBatch): PreKeyBatch | Promise<PreKeyBatch>
}

function assemble<R>(plan: PreKeyPlan, ops: PreKeyOps<R>): PreKeyBatch | Promise<PreKeyBatch> {
  const secrets: PreKeySecrets = { signedPreKeys: {}, oneTimePreKeys: {}, kemPreKeys: {} }
  // ML-KEM keys come from noble (no platform keygen from a seed); their signatures from `ops`.
  const kemKeys = [...(plan.kemLastResort ? [plan.kemLastResort] : []), ...plan.kem].map(({ id, seed }) => {
    const { publicKey, secretKey } = ml_kem768.keygen(seed)
    secrets.kemPreKeys[id] = toBase64(secretKey)
    return { id, publicKey }
  })
  for (const { id, secret } of plan.oneTime) secrets.oneTimePreKeys[id] = toBase64(secret)
  const signed = plan.signed
  if (signed) secrets.signedPreKeys[signed.id] = toBase64(signed.secret)
  const signedPublic = signed ? ops.x25519PublicKey(signed.secret) : undefined
  const results: R[] = [
    ...plan.oneTime.map(({ secret }) => ops.x25519PublicKey(secret)),
    ...kemKeys.map(({ id, publicKey }) => ops.sign(kemPreKeySigningBytes(id, publicKey))),
    ...(signed && signedPublic !== undefined ? [signedPublic, ops.chain(signedPublic, (pk) => ops.sign(preKeySigningBytes(signed.id, pk)))] : []),
  ]
  return ops.all(results, (values) => {
    const n = plan.oneTime.length
    const kemEntries = kemKeys.map(({ id, publicKey }, i) => ({ id, publicKey: toBase64(publicKey), signature: toBase64(values[n + i]!) }))
    const out: PreKeyBatch = {
      public: {
        oneTimePreKeys: plan.oneTime.map(({ id }, i) => ({ id, publicKey: toBase64(values[i]!) })),
        kemOneTimePreKeys: plan.kemLastResort ? kemEntries.slice(1) : kemEntries,
      },
      secrets,
    }
    if (plan.kemLastResort) out.public.kemLastResortPreKey = kemEntries[0]!
    if (signed) {
      const at = n + kemKeys.length
      out.public.signedPreKey = { id: signed.id, publicKey: toBase64(values[at]!), signature: toBase64(values[at + 1]!) }
    }
    return out
  })
}

/**
 * Generates prekeys for `device` with noble (synchronous; the reference the provider path is
 * checked against).
 * @throws {RangeError|TypeError} for bad ids or counts (ids are u32, counts ≤ MAX_PREKEY_BATCH).
 */
export function generatePreKeys(device: DeviceIdentity, opts: GeneratePreKeysOptions): PreKeyBatch {
  const signer = ab64(device.signing.secretKey, 'device.signing.secretKey', 32)
  const plan = planPreKeys(opts)
  return assemble<Uint8Array>(plan, {
    x25519PublicKey: (secret) => x25519.getPublicKey(secret),
    sign: (message) => ed25519.sign(message, signer),
    chain: (value, f) => f(value),
    all: (values, build) => build(values),
  }) as PreKeyBatch
}

/**
 * {@link generatePreKeys} on `provider` (its X25519 and Ed25519; ML-KEM keys from noble): the
 * same bytes for the same randomness, at the provider's speed — a new device's registration
 * was mostly noble generating its one-time prekeys.
 * @throws {RangeError|TypeError} for bad ids or counts, or no provider.
 * @throws {InternalError} when the provider gives a key or signature of the wrong size, or an
 *   X25519 public key that differs from noble's (one per batch is checked).
 */
export async function generatePreKeysWith(device: DeviceIdentity, opts: GeneratePreKeysOptions, provider: CryptoProvider): Promise<PreKeyBatch> {
  if (provider === null || typeof provider !== 'object') throw new TypeError('"provider" expected a CryptoProvider')
  const signer = ab64(device.signing.secretKey, 'device.signing.secretKey', 32)
  const plan = planPreKeys(opts)
  const sized = async (value: Awaitable<Uint8Array>, bytes: number, what: string) => {
    const v = await value
    if (!(v instanceof Uint8Array) || v.length !== bytes) throw new InternalError(`prekeys: the provider's ${what} is not ${bytes} bytes`)
    return v
  }
  const batch = await assemble<Promise<Uint8Array>>(plan, {
    x25519PublicKey: (secret) => sized(provider.x25519PublicKey(secret), 32, 'X25519 public key'),
    sign: (message) => sized(provider.ed25519Sign(signer, message), 64, 'Ed25519 signature'),
    chain: async (value, f) => f(await value),
    all: async (values, build) => build(await Promise.all(values)),
  })
  // A signature over a wrong public key still verifies, and one-time keys carry none: a provider
  // that derived public keys wrongly would publish prekeys no session can use. One key per batch
  // is checked against noble (a caller's provider may never have run the self-test).
  const probe = plan.signed ?? plan.oneTime[0]
  if (probe) {
    const published = plan.signed ? batch.public.signedPreKey!.publicKey : batch.public.oneTimePreKeys[0]!.publicKey
    if (published !== toBase64(x25519.getPublicKey(probe.secret))) throw new InternalError("prekeys: the provider's X25519 public key differs from noble's")
  }
  return batch
}

/**
 * Verifies a bundle's signatures with `provider` (before any DH is computed).
 * @throws {InvalidFrameError} when the bundle is malformed.
 * @throws {InvalidSignatureError} when the signed prekey or KEM prekey signature fails.
 */
export async function verifyBundleWith(bundle: DeviceBundle, provider: CryptoProvider): Promise<void> {
  await checkBundle(bundle, provider)
}

/**
 * A provider's Ed25519 verification behind the rule's byte checks, so a caller-supplied
 * provider cannot be more lenient than the built-in ones on encodings or small-order points.
 */
async function verifyUnderRule(provider: CryptoProvider, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  return passesEd25519Precheck(publicKey, signature) && (await provider.ed25519Verify(publicKey, message, signature))
}

/** The keys of a verified bundle, decoded once. */
export interface VerifiedBundleKeys {
  identityKey: Uint8Array
  signedPreKey: Uint8Array
  kemPreKey: Uint8Array
  oneTimePreKey: Uint8Array | undefined
}

/**
 * {@link verifyBundleWith} that also returns the decoded keys, so the initiator decodes each
 * (the 1,184-byte KEM key included) once. Internal.
 */
export async function checkBundle(bundle: DeviceBundle, provider: CryptoProvider): Promise<VerifiedBundleKeys> {
  const b = parseWith(DeviceBundleSchema, bundle, 'bundle')
  const signer = ab64(b.signingKey, 'bundle.signingKey', 32)
  const spk = ab64(b.signedPreKey.publicKey, 'bundle.signedPreKey.publicKey', 32)
  const kpk = ab64(b.kemPreKey.publicKey, 'bundle.kemPreKey.publicKey', KEM_PUBLIC_KEY_BYTES)
  if (!(await verifyUnderRule(provider, signer, preKeySigningBytes(b.signedPreKey.id, spk), ab64(b.signedPreKey.signature, 'signature', 64))))
    throw new InvalidSignatureError('signed prekey signature does not verify', { what: 'signedPreKey' })
  if (!(await verifyUnderRule(provider, signer, kemPreKeySigningBytes(b.kemPreKey.id, kpk), ab64(b.kemPreKey.signature, 'signature', 64))))
    throw new InvalidSignatureError('KEM prekey signature does not verify', { what: 'kemPreKey' })
  return {
    identityKey: ab64(b.identityKey, 'theirs.identityKey', 32),
    signedPreKey: spk,
    kemPreKey: kpk,
    oneTimePreKey: b.oneTimePreKey ? ab64(b.oneTimePreKey.publicKey, 'theirs.oneTimePreKey.publicKey', 32) : undefined,
  }
}

/**
 * Verifies a bundle's signatures (noble, synchronous).
 * @throws {InvalidFrameError} when malformed; {@link InvalidSignatureError} on a bad signature.
 */
export function verifyBundle(bundle: DeviceBundle): void {
  const b = parseWith(DeviceBundleSchema, bundle, 'bundle')
  const signer = ab64(b.signingKey, 'bundle.signingKey', 32)
  const spk = ab64(b.signedPreKey.publicKey, 'bundle.signedPreKey.publicKey', 32)
  const kpk = ab64(b.kemPreKey.publicKey, 'bundle.kemPreKey.publicKey', KEM_PUBLIC_KEY_BYTES)
  if (!nobleProvider.ed25519Verify(signer, preKeySigningBytes(b.signedPreKey.id, spk), ab64(b.signedPreKey.signature, 'signature', 64)))
    throw new InvalidSignatureError('signed prekey signature does not verify', { what: 'signedPreKey' })
  if (!nobleProvider.ed25519Verify(signer, kemPreKeySigningBytes(b.kemPreKey.id, kpk), ab64(b.kemPreKey.signature, 'signature', 64)))
    throw new InvalidSignatureError('KEM prekey signature does not verify', { what: 'kemPreKey' })
}
