/**
 * ML-KEM-768 on `node:crypto` (Node ≥ 24.7, OpenSSL ≥ 3.5): `crypto.encapsulate` /
 * `crypto.decapsulate`, with keys imported from the bytes Parley stores: the encapsulation key
 * as SPKI and the 2,400-byte decapsulation key as PKCS#8 `expandedKey` (OpenSSL runs FIPS
 * 203's hash check on import). Keys are imported per call and never cached: a one-time KEM
 * prekey is used once, and a decapsulation key is a secret.
 */
import type * as NodeCrypto from 'node:crypto'
import { abytes } from '../_assert.js'
import { KEM_CIPHERTEXT_BYTES, KEM_PUBLIC_KEY_BYTES, KEM_SECRET_KEY_BYTES } from '../constants.js'
import { PKCS8_ML_KEM_768_EXPANDED, SPKI_ML_KEM_768, wrapKey } from './_der.js'
import { checkKemAgainstNobleSync } from './_kem-probe.js'
import { describeError } from './_describe-error.js'
import type { KemEncapsulation } from './provider.js'

/** The two KEM operations on native code. */
export interface NodeKem {
  encapsulate(publicKey: Uint8Array): KemEncapsulation
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array
}

// `crypto.encapsulate` / `decapsulate` are newer than the @types/node this package builds against.
type Encapsulate = (key: NodeCrypto.KeyObject) => { sharedKey: Uint8Array; ciphertext: Uint8Array }
type Decapsulate = (key: NodeCrypto.KeyObject, ciphertext: Uint8Array) => Uint8Array

const view = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

function nodeKem(c: typeof NodeCrypto, enc: Encapsulate, dec: Decapsulate): NodeKem {
  return {
    encapsulate(publicKey) {
      abytes(publicKey, 'publicKey', KEM_PUBLIC_KEY_BYTES)
      let key: NodeCrypto.KeyObject
      try {
        key = c.createPublicKey({ key: wrapKey(SPKI_ML_KEM_768, publicKey) as never, format: 'der', type: 'spki' })
      } catch (e) {
        throw new RangeError('"publicKey" is not a valid ML-KEM-768 encapsulation key (modulus check)', { cause: e })
      }
      const { sharedKey, ciphertext } = enc(key)
      return { cipherText: view(ciphertext), sharedSecret: view(sharedKey) }
    },
    decapsulate(cipherText, secretKey) {
      abytes(cipherText, 'cipherText', KEM_CIPHERTEXT_BYTES)
      abytes(secretKey, 'secretKey', KEM_SECRET_KEY_BYTES)
      let key: NodeCrypto.KeyObject
      try {
        key = c.createPrivateKey({ key: wrapKey(PKCS8_ML_KEM_768_EXPANDED, secretKey) as never, format: 'der', type: 'pkcs8' })
      } catch (e) {
        throw new RangeError('"secretKey" is not a valid ML-KEM-768 decapsulation key (hash check)', { cause: e })
      }
      return view(dec(key, cipherText))
    },
  }
}

/**
 * Native ML-KEM-768 when this Node has it and it agrees with noble; `failure` says why not
 * when the functions exist but do not work (undefined both: not on this runtime).
 */
export function detectNodeKem(c: typeof NodeCrypto): { found?: NodeKem; failure?: string } {
  const enc = (c as unknown as { encapsulate?: Encapsulate }).encapsulate
  const dec = (c as unknown as { decapsulate?: Decapsulate }).decapsulate
  if (typeof enc !== 'function' || typeof dec !== 'function') return {}
  const kem = nodeKem(c, enc, dec)
  try {
    const failure = checkKemAgainstNobleSync(kem.encapsulate, kem.decapsulate)
    return failure ? { failure } : { found: kem }
  } catch (e) {
    return { failure: `ML-KEM-768: ${describeError(e)}${e instanceof Error && e.cause ? `: ${describeError(e.cause)}` : ''}` }
  }
}
