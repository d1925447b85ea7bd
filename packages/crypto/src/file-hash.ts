/**
 * Incremental SHA-256 of a file's plaintext (the hash franking commits to, docs/attachments.md):
 * `node:crypto` where it is (≈10× noble here, which matters at 100 MB), noble otherwise. The
 * native hash is checked once against noble on a fixed input before it is used.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { abytes } from './_assert.js'

/** An incremental SHA-256. */
export interface Sha256Stream {
  update(data: Uint8Array): void
  /** The digest; the stream is finished after it. */
  digest(): Uint8Array
}

type NodeHash = { createHash(alg: 'sha256'): { update(d: Uint8Array): unknown; digest(): Uint8Array } }
let native: NodeHash | null | undefined

function nodeHash(): NodeHash | null {
  if (native !== undefined) return native
  native = null
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
    const mod = proc?.getBuiltinModule?.('node:crypto') as NodeHash | undefined
    const probe = new Uint8Array(200).map((_, i) => i)
    if (mod && typeof mod.createHash === 'function') {
      const h = mod.createHash('sha256')
      h.update(probe)
      if (bytesToHex(new Uint8Array(h.digest())) === bytesToHex(sha256(probe))) native = mod
    }
  } catch {
    native = null
  }
  return native
}

/**
 * A fresh incremental SHA-256.
 * @example const h = sha256Stream(); h.update(a); h.update(b); h.digest()
 */
export function sha256Stream(): Sha256Stream {
  const mod = nodeHash()
  if (mod) {
    const h = mod.createHash('sha256')
    return { update: (d) => void h.update(abytes(d, 'data')), digest: () => new Uint8Array(h.digest()) }
  }
  const h = sha256.create()
  return { update: (d) => void h.update(abytes(d, 'data')), digest: () => h.digest() }
}
