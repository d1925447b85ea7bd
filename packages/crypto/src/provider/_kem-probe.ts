/**
 * A known-answer check for a platform ML-KEM-768 against noble, shared by the native
 * providers' feature detection and `pickProvider()`'s self-test: a noble key pair from a fixed
 * seed, noble's deterministic encapsulation, and the platform's encapsulation to that key
 * decapsulated by noble. Computed once per process (about 2 ms on noble).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { equalBytes } from '../_bytes.js'
import type { Awaitable, KemEncapsulation } from './provider.js'

const SEED = Uint8Array.from({ length: 64 }, (_, i) => (i * 7 + 3) & 0xff)
const M = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff)

let fixture: { publicKey: Uint8Array; secretKey: Uint8Array; cipherText: Uint8Array; sharedSecret: Uint8Array } | undefined
function kemFixture() {
  if (!fixture) {
    const { publicKey, secretKey } = ml_kem768.keygen(SEED)
    fixture = { publicKey, secretKey, ...ml_kem768.encapsulate(publicKey, M) }
  }
  return fixture
}

/**
 * Undefined when `encapsulate` and `decapsulate` agree with noble in both directions, else
 * what differed (an exception from the platform is left to propagate to the caller).
 */
export async function checkKemAgainstNoble(
  encapsulate: (publicKey: Uint8Array) => Awaitable<KemEncapsulation>,
  decapsulate: (cipherText: Uint8Array, secretKey: Uint8Array) => Awaitable<Uint8Array>,
): Promise<string | undefined> {
  const f = kemFixture()
  if (!equalBytes(await decapsulate(f.cipherText, f.secretKey), f.sharedSecret)) return 'ML-KEM-768 decapsulation differs from noble'
  const e = await encapsulate(f.publicKey)
  if (!equalBytes(ml_kem768.decapsulate(e.cipherText, f.secretKey), e.sharedSecret)) return 'ML-KEM-768 encapsulation does not decapsulate under noble'
  return undefined
}

/** The synchronous form of {@link checkKemAgainstNoble}, for `node:crypto`. */
export function checkKemAgainstNobleSync(
  encapsulate: (publicKey: Uint8Array) => KemEncapsulation,
  decapsulate: (cipherText: Uint8Array, secretKey: Uint8Array) => Uint8Array,
): string | undefined {
  const f = kemFixture()
  if (!equalBytes(decapsulate(f.cipherText, f.secretKey), f.sharedSecret)) return 'ML-KEM-768 decapsulation differs from noble'
  const e = encapsulate(f.publicKey)
  if (!equalBytes(ml_kem768.decapsulate(e.cipherText, f.secretKey), e.sharedSecret)) return 'ML-KEM-768 encapsulation does not decapsulate under noble'
  return undefined
}
