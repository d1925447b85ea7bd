/**
 * The known-answer check of symmetric primitives against noble, shared by the provider
 * self-test and the node provider's start-up detection: HMAC, HKDF, XChaCha20 and
 * ChaCha20-Poly1305 on fixed inputs, short ones (which native providers leave on noble) and
 * ones past the native providers' size threshold, plus an altered tag that must not open.
 */
import { equalBytes, utf8 } from '../_bytes.js'
import { nobleSymmetric } from './_noble-symmetric.js'
import { NATIVE_CHACHA_MIN_BYTES } from './_node-symmetric.js'
import type { SymmetricPrimitives } from './provider.js'

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const NONCE = Uint8Array.from({ length: 24 }, (_, i) => i * 3)
const INFO = utf8('parley')
const SHORT = utf8('Parley provider self-test: one ChaCha20 block and a little more, 80 bytes long.')
// Past the size where the node provider switches from noble to OpenSSL, and not a whole
// number of 64-byte blocks.
const LONG = Uint8Array.from({ length: NATIVE_CHACHA_MIN_BYTES + 77 }, (_, i) => (i * 31) & 0xff)

/** The first way `p` differs from noble on the fixed inputs, named; undefined when it agrees. */
export function symmetricDifference(p: SymmetricPrimitives): string | undefined {
  const n = nobleSymmetric
  if (!equalBytes(p.hmacSha256(KEY, INFO, SHORT), n.hmacSha256(KEY, INFO, SHORT))) return 'HMAC-SHA256 differs from noble'
  if (!equalBytes(p.hkdfSha256(SHORT, undefined, INFO, 96), n.hkdfSha256(SHORT, undefined, INFO, 96))) return 'HKDF-SHA256 differs from noble'
  for (const data of [SHORT, LONG]) {
    if (!equalBytes(p.xchacha20(KEY, NONCE, data), n.xchacha20(KEY, NONCE, data))) return 'XChaCha20 differs from noble'
  }
  const nonce12 = NONCE.subarray(0, 12)
  for (const data of [SHORT, LONG]) {
    const sealed = p.chacha20Poly1305Seal(KEY, nonce12, data, INFO)
    if (!equalBytes(sealed, n.chacha20Poly1305Seal(KEY, nonce12, data, INFO))) return 'ChaCha20-Poly1305 differs from noble'
    const opened = p.chacha20Poly1305Open(KEY, nonce12, sealed, INFO)
    if (!opened || !equalBytes(opened, data)) return 'ChaCha20-Poly1305 does not open its own output'
    const altered = sealed.slice()
    altered[altered.length - 1]! ^= 1
    if (p.chacha20Poly1305Open(KEY, nonce12, altered, INFO) !== null) return 'ChaCha20-Poly1305 opened an altered tag'
  }
  return undefined
}
