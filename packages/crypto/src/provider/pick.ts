/**
 * Provider choice: the fastest provider that passes a known-answer self-test against noble,
 * else noble, silently. Node's `node:crypto` first, then WebCrypto.
 */
import { equalBytes } from '../_bytes.js'
import { nodeNativeProvider } from './node-native.js'
import { nobleProvider, type CryptoProvider } from './provider.js'
import { webCryptoProvider } from './webcrypto.js'

const A = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const B = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
const MSG = new Uint8Array([0x70, 0x61, 0x72, 0x6c, 0x65, 0x79])

/** True when `p` agrees with noble on X25519 and Ed25519 (keys, DH, signatures). */
export async function selfTest(p: CryptoProvider): Promise<boolean> {
  try {
    const n = nobleProvider
    const pubB = await p.x25519PublicKey(B)
    if (!equalBytes(pubB, n.x25519PublicKey(B) as Uint8Array)) return false
    if (!equalBytes(await p.x25519(A, pubB), n.x25519(A, pubB) as Uint8Array)) return false
    const edPub = await p.ed25519PublicKey(A)
    if (!equalBytes(edPub, n.ed25519PublicKey(A) as Uint8Array)) return false
    const sig = await p.ed25519Sign(A, MSG)
    if (!equalBytes(sig, n.ed25519Sign(A, MSG) as Uint8Array)) return false
    if (!(await p.ed25519Verify(edPub, MSG, sig))) return false
    const bad = sig.slice()
    bad[0]! ^= 1
    return !(await p.ed25519Verify(edPub, MSG, bad))
  } catch {
    return false
  }
}

let picked: Promise<CryptoProvider> | undefined

/**
 * Native when it works (passes the self-test), else noble. Never throws. Cached.
 * @example
 * const provider = await pickProvider()
 * await encryptMessage({ state, plaintext, context, provider })
 */
export function pickProvider(): Promise<CryptoProvider> {
  picked ??= (async () => {
    for (const make of [nodeNativeProvider, webCryptoProvider]) {
      try {
        const p = make()
        if (await selfTest(p)) return p
      } catch {
        // Not available on this platform: try the next one.
      }
    }
    return nobleProvider
  })()
  return picked
}
