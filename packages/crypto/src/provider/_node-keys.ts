/**
 * Importing raw X25519 / Ed25519 keys into `node:crypto` key objects. Node lines differ:
 * Node ≥ 24 imports raw keys (`format: 'raw-private'`) but rejects an OKP private JWK whose
 * `x` is not the key's own public key (ERR_CRYPTO_INVALID_JWK); Node 20 and 22 have no raw
 * formats but derive `x` from `d` in a JWK; PKCS#8 / SPKI DER (RFC 8410) works on every line
 * but costs about 0.5 ms per private key on Node 20's OpenSSL 3.0. So each strategy is tried
 * once, fastest first, against the RFC 7748 and RFC 8032 public keys, and the first that
 * reproduces them is used: feature detection, never a version check.
 */
import type * as NodeCrypto from 'node:crypto'
import { describeError } from './_describe-error.js'
import { PKCS8_ED25519, PKCS8_X25519, SPKI_ED25519, SPKI_X25519, wrapKey } from './_der.js'

type KeyObject = NodeCrypto.KeyObject
/** The two OKP curves Parley uses, as Node and JWK name them. */
export type OkpCurve = 'X25519' | 'Ed25519'

/** One way of turning raw key bytes into key objects and back. */
export interface OkpKeyImport {
  readonly name: 'raw' | 'jwk' | 'der'
  privateKey(curve: OkpCurve, secret: Uint8Array): KeyObject
  publicKey(curve: OkpCurve, publicKey: Uint8Array): KeyObject
  /** The 32 raw public-key bytes of a private or public key object. */
  publicBytes(key: KeyObject): Uint8Array
}

// Options newer than the @types/node this package builds against.
type LooseCreate = (options: Record<string, unknown>) => KeyObject
type LooseExport = (options: Record<string, unknown>) => Uint8Array

function rawImport(c: typeof NodeCrypto): OkpKeyImport {
  const priv = c.createPrivateKey as unknown as LooseCreate
  const pub = c.createPublicKey as unknown as LooseCreate
  const type = (curve: OkpCurve) => (curve === 'X25519' ? 'x25519' : 'ed25519')
  return {
    name: 'raw',
    privateKey: (curve, secret) => priv({ key: secret, format: 'raw-private', asymmetricKeyType: type(curve) }),
    publicKey: (curve, bytes) => pub({ key: bytes, format: 'raw-public', asymmetricKeyType: type(curve) }),
    publicBytes: (key) => {
      const k = key.type === 'public' ? key : c.createPublicKey(key)
      return new Uint8Array((k.export as unknown as LooseExport)({ format: 'raw-public' }))
    },
  }
}

function jwkImport(c: typeof NodeCrypto): OkpKeyImport {
  // Node 20/22 derive the key from `d` alone; `x` must be present but is not read, so a
  // placeholder avoids a scalar multiplication in JS. Node ≥ 24 rejects it (then `raw` wins).
  const b64url = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
  const fromB64url = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'))
  const placeholderX = b64url(new Uint8Array(32))
  return {
    name: 'jwk',
    privateKey: (crv, secret) => c.createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(secret), x: placeholderX }, format: 'jwk' }),
    publicKey: (crv, bytes) => c.createPublicKey({ key: { kty: 'OKP', crv, x: b64url(bytes) }, format: 'jwk' }),
    publicBytes: (key) => fromB64url((key.type === 'public' ? key : c.createPublicKey(key)).export({ format: 'jwk' }).x as string),
  }
}

function derImport(c: typeof NodeCrypto): OkpKeyImport {
  return {
    name: 'der',
    privateKey: (curve, secret) =>
      c.createPrivateKey({ key: wrapKey(curve === 'X25519' ? PKCS8_X25519 : PKCS8_ED25519, secret) as never, format: 'der', type: 'pkcs8' }),
    publicKey: (curve, bytes) =>
      c.createPublicKey({ key: wrapKey(curve === 'X25519' ? SPKI_X25519 : SPKI_ED25519, bytes) as never, format: 'der', type: 'spki' }),
    publicBytes: (key) => new Uint8Array((key.type === 'public' ? key : c.createPublicKey(key)).export({ format: 'der', type: 'spki' }).subarray(-32)),
  }
}

const fromHex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16))
// RFC 7748 §6.1 (Alice) and RFC 8032 §7.1 TEST 1: secret → public.
const KNOWN: [OkpCurve, Uint8Array, string][] = [
  ['X25519', fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'],
  ['Ed25519', fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'],
]
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/**
 * The first key import strategy that reproduces the known public keys, or the reason each
 * one failed.
 */
export function detectOkpImport(c: typeof NodeCrypto): { found?: OkpKeyImport; failures: string[] } {
  const failures: string[] = []
  for (const make of [rawImport, jwkImport, derImport]) {
    const strategy = make(c)
    try {
      for (const [curve, secret, expected] of KNOWN) {
        const derived = toHex(strategy.publicBytes(strategy.privateKey(curve, secret)))
        const reimported = toHex(strategy.publicBytes(strategy.publicKey(curve, fromHex(expected))))
        if (derived !== expected || reimported !== expected) throw new Error(`${curve} public key differs from the known answer`)
      }
      return { found: strategy, failures }
    } catch (e) {
      failures.push(`${strategy.name} key import: ${describeError(e)}`)
    }
  }
  return { failures }
}
