/**
 * What a provider does with each Wycheproof vector: accepted or rejected, and the bytes it
 * produced. One runner per file; every call goes through the provider seam (or, for key
 * generation, through noble, which is how Parley generates ML-KEM keys).
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import type { CryptoProvider } from '../../src/index.js'
import { hex, loadWycheproof, toHex, type Verdict, type WycheproofFile, type WycheproofTest } from './_load.js'

/** One vector through one provider (`id` is the tcId, with a suffix when a vector runs twice). */
export interface Outcome {
  id: string
  verdict: Verdict
  accepted: boolean
  /** What the provider produced (hex), when it is deterministic. */
  output?: string
  /** What Wycheproof says a valid vector produces (hex). */
  want?: string
}

async function attempt(op: () => unknown): Promise<{ accepted: boolean; value?: unknown }> {
  try {
    return { accepted: true, value: await op() }
  } catch {
    return { accepted: false }
  }
}

type Runner = (p: CryptoProvider, t: WycheproofTest) => Promise<Outcome[]>

const one = (t: WycheproofTest, accepted: boolean, output?: string, want?: string): Outcome[] =>
  [{ id: String(t.tcId), verdict: t.result, accepted, output, want }]

const runners: Record<WycheproofFile, Runner> = {
  async x25519_test(p, t) {
    const r = await attempt(() => p.x25519(hex(t.private), hex(t.public)))
    return one(t, r.accepted, r.accepted ? toHex(r.value as Uint8Array) : undefined, String(t.shared))
  },
  async ed25519_test(p, t) {
    const pk = hex((t.group.publicKey as { pk: string }).pk)
    const ok = await p.ed25519Verify(pk, hex(t.msg), hex(t.sig))
    return one(t, ok === true)
  },
  async hkdf_sha256_test(p, t) {
    const r = await attempt(() => p.hkdfSha256(hex(t.ikm), hex(t.salt), hex(t.info), Number(t.size)))
    return one(t, r.accepted, r.accepted ? toHex(r.value as Uint8Array) : undefined, String(t.okm))
  },
  async hmac_sha256_test(p, t) {
    const tagBytes = Number(t.group.tagSize) / 8
    const computed = toHex(p.hmacSha256(hex(t.key), hex(t.msg)).subarray(0, tagBytes))
    return one(t, computed === t.tag, computed)
  },
  async chacha20_poly1305_test(p, t) {
    // Both directions: sealing gives Wycheproof's `ct ‖ tag` (valid vectors), and opening it
    // gives `msg` back — or null, the provider's refusal, for a tampered one. A nonce that is not
    // 12 bytes is refused by either with a RangeError.
    const sealed = new Uint8Array([...hex(t.ct), ...hex(t.tag)])
    const seal = await attempt(() => p.chacha20Poly1305Seal(hex(t.key), hex(t.iv), hex(t.msg), hex(t.aad)))
    const open = await attempt(() => p.chacha20Poly1305Open(hex(t.key), hex(t.iv), sealed, hex(t.aad)))
    const opened = open.accepted && open.value !== null ? toHex(open.value as Uint8Array) : undefined
    return [
      { id: `${t.tcId}/open`, verdict: t.result, accepted: opened !== undefined, output: opened, want: String(t.msg) },
      // Sealing an invalid vector's message gives some other bytes: compared across providers only.
      { id: `${t.tcId}/seal`, verdict: t.result === 'valid' ? 'valid' : 'acceptable', accepted: seal.accepted, output: seal.accepted ? toHex(seal.value as Uint8Array) : undefined, want: t.result === 'valid' ? toHex(sealed) : undefined },
    ]
  },
  async mlkem_768_test(p, t) {
    const keys = await attempt(() => ml_kem768.keygen(hex(t.seed)))
    if (!keys.accepted) return [{ id: `${t.tcId}`, verdict: t.result, accepted: false }]
    const { publicKey, secretKey } = keys.value as { publicKey: Uint8Array; secretKey: Uint8Array }
    if (t.ek !== undefined && toHex(publicKey) !== t.ek) return [{ id: `${t.tcId}`, verdict: t.result, accepted: false, output: 'ek differs' }]
    const out: Outcome[] = []
    for (const reused of [false, true]) {
      const r = await attempt(() => p.mlKem768Decapsulate(hex(t.c), secretKey, reused))
      out.push({ id: `${t.tcId}${reused ? '/prepared' : ''}`, verdict: t.result, accepted: r.accepted, output: r.accepted ? toHex(r.value as Uint8Array) : undefined, want: String(t.K) })
    }
    return out
  },
  async mlkem_768_encaps_test(p, t) {
    const det = await attempt(() => p.mlKem768Encapsulate(hex(t.ek), hex(t.m)))
    const detOut = det.accepted ? (det.value as { cipherText: Uint8Array; sharedSecret: Uint8Array }) : undefined
    // Without `m` the platform draws its own randomness: only the verdict and sizes compare.
    const own = await attempt(() => p.mlKem768Encapsulate(hex(t.ek)))
    const ownOut = own.accepted ? (own.value as { cipherText: Uint8Array; sharedSecret: Uint8Array }) : undefined
    return [
      { id: `${t.tcId}`, verdict: t.result, accepted: det.accepted, output: detOut && toHex(detOut.cipherText) + toHex(detOut.sharedSecret), want: `${t.c}${t.K}` },
      { id: `${t.tcId}/own-randomness`, verdict: t.result, accepted: own.accepted, output: ownOut && `${ownOut.cipherText.length}+${ownOut.sharedSecret.length} bytes`, want: '1088+32 bytes' },
    ]
  },
  async mlkem_768_semi_expanded_decaps_test(p, t) {
    const out: Outcome[] = []
    for (const reused of [false, true]) {
      const r = await attempt(() => p.mlKem768Decapsulate(hex(t.c), hex(t.dk), reused))
      out.push({ id: `${t.tcId}${reused ? '/prepared' : ''}`, verdict: t.result, accepted: r.accepted, output: r.accepted ? toHex(r.value as Uint8Array) : undefined, want: String(t.K) })
    }
    return out
  },
  async mlkem_768_keygen_seed_test(_p, t) {
    const r = await attempt(() => ml_kem768.keygen(hex(t.seed)))
    const keys = r.value as { publicKey: Uint8Array; secretKey: Uint8Array } | undefined
    return one(t, r.accepted, keys && toHex(keys.publicKey) + toHex(keys.secretKey), `${t.ek}${t.dk}`)
  },
}

const memo = new Map<string, Promise<Outcome[]>>()

/** Every outcome of `file` through `provider` (computed once per process). */
export function outcomes(file: WycheproofFile, provider: CryptoProvider): Promise<Outcome[]> {
  const key = `${file}:${provider.name}`
  let hit = memo.get(key)
  if (!hit) {
    hit = (async () => {
      const all: Outcome[] = []
      for (const t of loadWycheproof(file)) all.push(...(await runners[file](provider, t)))
      return all
    })()
    memo.set(key, hit)
  }
  return hit
}

/** Outcomes that break Wycheproof's verdict: a valid vector refused or wrong, an invalid one accepted. */
export function violations(list: Outcome[]): string[] {
  const bad: string[] = []
  for (const o of list) {
    if (o.verdict === 'valid' && !o.accepted) bad.push(`${o.id}: valid vector rejected`)
    else if (o.verdict === 'valid' && o.want !== undefined && o.output !== o.want) bad.push(`${o.id}: valid vector gave other bytes`)
    else if (o.verdict === 'invalid' && o.accepted) bad.push(`${o.id}: invalid vector accepted`)
  }
  return bad
}
