/**
 * The known-answer self-test a provider passes before `pickProvider()` uses it: every
 * primitive against noble on fixed inputs, and the Ed25519 rule on the cases where platform
 * verifiers are known to differ (an R with an 8-torsion component, which a cofactored verifier
 * accepts; a small-order public key; S + L). Returns the first difference, named.
 */
import { equalBytes, utf8 } from '../_bytes.js'
import { checkKemAgainstNoble } from './_kem-probe.js'
import { describeError } from './_describe-error.js'
import { nobleProvider } from './noble.js'
import { symmetricDifference } from './_symmetric-check.js'
import type { CryptoProvider } from './provider.js'

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16))
const A = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const B = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
const MSG = utf8('parley')
// A signature whose R is [r]B plus an 8-torsion point, with S computed honestly over that R
// (built as `torsionSignature` in test/ed25519-rule.test.ts): valid for a cofactored verifier,
// invalid under the rule.
const TORSION_R = {
  publicKey: hex('3f7708d5f5cc2bc633b59d2b3a2ed92e7479220c6f08ade208bebcd8580ab93b'),
  message: hex('7061726c6579206d697865642d6f726465722052'),
  signature: hex('4c261951fba9f4ba7ece40431f212269f58becc2473c54cecda0e8f1e6f9d2531fa05816285e21ac41a58a2082681fbfdaacfbcbc62151eaa9b5b9d15d38bd0f'),
}
// The identity as public key with R = B, S = 1: [S]B = R + [k]A holds for any message, so a
// verifier without the small-order check (OpenSSL's own) accepts this universal forgery.
const IDENTITY_KEY = hex('0100000000000000000000000000000000000000000000000000000000000000')
const FORGERY_FOR_IDENTITY = hex('5866666666666666666666666666666666666666666666666666666666666666' + '01'.padEnd(64, '0'))
/** The group order L, little-endian: S + L must be refused. */
const L_LE = hex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010')

function addLE(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length)
  let carry = 0
  for (let i = 0; i < a.length; i++) {
    const s = a[i]! + b[i]! + carry
    out[i] = s & 0xff
    carry = s >> 8
  }
  return out
}

async function rejects(op: () => unknown): Promise<boolean> {
  try {
    await op()
    return false
  } catch {
    return true
  }
}

/** The first way `p` differs from noble, or undefined when it agrees everywhere tested. */
export async function selfTestFailure(p: CryptoProvider): Promise<string | undefined> {
  const n = nobleProvider
  try {
    const pubB = await p.x25519PublicKey(B)
    if (!equalBytes(pubB, n.x25519PublicKey(B) as Uint8Array)) return 'X25519 public key differs from noble'
    if (!equalBytes(await p.x25519(A, pubB), n.x25519(A, pubB) as Uint8Array)) return 'X25519 shared secret differs from noble'
    if (!(await rejects(() => p.x25519(A, new Uint8Array(32))))) return 'X25519 accepted a small-order public key'
    const edPub = await p.ed25519PublicKey(A)
    if (!equalBytes(edPub, n.ed25519PublicKey(A) as Uint8Array)) return 'Ed25519 public key differs from noble'
    const sig = await p.ed25519Sign(A, MSG)
    if (!equalBytes(sig, n.ed25519Sign(A, MSG) as Uint8Array)) return 'Ed25519 signature differs from noble'
    if (!(await p.ed25519Verify(edPub, MSG, sig))) return 'Ed25519 rejected a valid signature'
    const bad = sig.slice()
    bad[0]! ^= 1
    if (await p.ed25519Verify(edPub, MSG, bad)) return 'Ed25519 accepted an altered signature'
    const malleable = sig.slice()
    malleable.set(addLE(sig.subarray(32), L_LE), 32)
    if (await p.ed25519Verify(edPub, MSG, malleable)) return 'Ed25519 accepted S + L'
    if (await p.ed25519Verify(TORSION_R.publicKey, TORSION_R.message, TORSION_R.signature)) return 'Ed25519 accepted an R with a torsion component (cofactored verifier)'
    if (await p.ed25519Verify(IDENTITY_KEY, MSG, FORGERY_FOR_IDENTITY)) return 'Ed25519 accepted a small-order public key'
    // A provider whose ML-KEM functions are noble's own has nothing to compare (and skips a
    // cold start of noble's ML-KEM, tens of ms).
    if (p.mlKem768Encapsulate !== n.mlKem768Encapsulate || p.mlKem768Decapsulate !== n.mlKem768Decapsulate) {
      const kem = await checkKemAgainstNoble((pk) => p.mlKem768Encapsulate(pk), (ct, sk) => p.mlKem768Decapsulate(ct, sk))
      if (kem) return kem
    }
    const symmetric = symmetricDifference(p)
    if (symmetric) return symmetric
    return undefined
  } catch (e) {
    return `threw: ${describeError(e)}`
  }
}

/** True when `p` agrees with noble on every primitive and on the Ed25519 rule. */
export async function selfTest(p: CryptoProvider): Promise<boolean> {
  return (await selfTestFailure(p)) === undefined
}
