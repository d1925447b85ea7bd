/**
 * Byte helpers shared by every construction: length-prefixed encoding (so concatenated
 * fields can never be re-split differently), fixed-width integers, constant-time equality.
 * Internal: not part of the public surface.
 */
import { fromBase64, toBase64 } from '@parley/protocol'

const encoder = new TextEncoder()

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** 4-byte big-endian unsigned integer. */
export function u32be(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new RangeError(`"n" expected u32, got ${n}`)
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
}

/** 8-byte big-endian unsigned integer from a safe integer. */
export function u64be(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"n" expected a non-negative safe integer, got ${n}`)
  const hi = Math.floor(n / 0x1_0000_0000)
  const lo = n >>> 0
  return Uint8Array.of(hi >>> 24, (hi >>> 16) & 0xff, (hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff)
}

/** Reads a 4-byte big-endian unsigned integer. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false)
}

/** Length-prefixed field: u32 length then the bytes (a string is UTF-8 encoded). */
export function lp(field: Uint8Array | string): Uint8Array {
  const bytes = typeof field === 'string' ? utf8(field) : field
  return concat(u32be(bytes.length), bytes)
}

/** Constant-time equality of two byte arrays (the length is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

// One decoder for the whole project: the protocol's (native on Node, canonical-only everywhere).
export { fromBase64, toBase64 }
