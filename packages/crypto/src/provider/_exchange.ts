/**
 * X25519 of one secret with several public keys through a provider: its `x25519Exchange` when
 * it has one (one private-key import natively), else one `x25519` call per key.
 */
import type { CryptoProvider, X25519Exchange } from './provider.js'

/** The shared secrets of `secretKey` with each of `publicKeys`, in order, and its public key when asked. */
export async function x25519Exchange(
  provider: CryptoProvider, secretKey: Uint8Array, publicKeys: readonly Uint8Array[], withPublicKey = false, keepForNextUse = false,
): Promise<X25519Exchange> {
  if (provider.x25519Exchange) return provider.x25519Exchange(secretKey, publicKeys, withPublicKey, keepForNextUse)
  const publicKey = withPublicKey ? await provider.x25519PublicKey(secretKey) : undefined
  const shared: Uint8Array[] = []
  for (const pub of publicKeys) shared.push(await provider.x25519(secretKey, pub))
  return { publicKey, shared }
}
