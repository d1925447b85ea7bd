/**
 * The server's Ed25519 checks, on the provider it picked at start (`pickProvider()`:
 * `node:crypto` when it passes its self-test, ~30× faster than noble), under the one rule of
 * docs/decisions/0006 (`verifyWith` runs the rule's byte checks before the provider).
 */
import { InvalidSignatureError, fromBase64, modeChangeSigningText, type ModeChange, type SignedDeviceList } from '@parley/protocol'
import {
  helloProofBytes, kemPreKeySigningBytes, nobleProvider, preKeySigningBytes, verifyBundleWith, verifyDeviceListWith, verifyWith,
  type CryptoProvider, type HelloProofInput,
} from '@parley/crypto'
import type { Ctx } from './context.js'

const utf8 = new TextEncoder()

function provider(ctx: Ctx): CryptoProvider {
  return ctx.crypto ?? nobleProvider
}

/** A signed prekey as frames carry it. */
interface SignedKey {
  id: number
  publicKey: string
  signature: string
}

/**
 * Checks prekey signatures under `signingKey`: the signed X25519 prekey (when given), then
 * each ML-KEM prekey, stopping at the first failure.
 * @throws {InvalidSignatureError} naming the first key that does not verify.
 */
export async function checkPreKeySignatures(ctx: Ctx, signingKey: string, keys: { signedPreKey?: SignedKey; kem: readonly SignedKey[]; kemLabel?: (k: SignedKey) => string }): Promise<void> {
  const p = provider(ctx)
  const spk = keys.signedPreKey
  if (spk && !(await verifyWith(p, signingKey, preKeySigningBytes(spk.id, fromBase64(spk.publicKey)), spk.signature))) {
    throw new InvalidSignatureError('signedPreKey signature does not verify', { what: 'signedPreKey' })
  }
  for (const k of keys.kem) {
    if (!(await verifyWith(p, signingKey, kemPreKeySigningBytes(k.id, fromBase64(k.publicKey)), k.signature))) {
      const what = keys.kemLabel?.(k) ?? `kemPreKey ${k.id}`
      throw new InvalidSignatureError(`${what} signature does not verify`, { what })
    }
  }
}

/** `verifyDeviceList` on the server's provider. @throws {InvalidDeviceListError} */
export function checkDeviceList(ctx: Ctx, list: SignedDeviceList, pinnedUserKey: string, previous?: SignedDeviceList): Promise<void> {
  return verifyDeviceListWith(list, pinnedUserKey, previous, provider(ctx))
}

/** `verifyBundle` on the server's provider. @throws {InvalidSignatureError} */
export function checkBundle(ctx: Ctx, bundle: Parameters<typeof verifyBundleWith>[0]): Promise<void> {
  return verifyBundleWith(bundle, provider(ctx))
}

/** `verifyHelloProof` on the server's provider: false for anything malformed. */
export async function checkHelloProof(ctx: Ctx, signingKey: string, input: HelloProofInput, signature: string): Promise<boolean> {
  let bytes: Uint8Array
  try {
    bytes = helloProofBytes(input)
  } catch {
    return false
  }
  return verifyWith(provider(ctx), signingKey, bytes, signature)
}

/** `verifyModeChange` on the server's provider: false for anything malformed. */
export async function checkModeChange(ctx: Ctx, mc: ModeChange, signingKey: string): Promise<boolean> {
  let bytes: Uint8Array
  try {
    bytes = utf8.encode(modeChangeSigningText(mc))
  } catch {
    return false
  }
  return verifyWith(provider(ctx), signingKey, bytes, mc.signature)
}
