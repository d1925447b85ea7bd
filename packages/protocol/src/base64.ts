/**
 * Standard base64 (RFC 4648 §4, with padding) without Node's Buffer, so the same code runs in
 * browsers. Binary fields cross the wire and sit in stored state as base64 text.
 */

/**
 * Matches canonical padded base64 (the empty string included): the unused bits before the
 * padding must be zero, so the character before `==` is one of `AQgw` (low 4 bits zero) and
 * the one before `=` one of `AEIMQUYcgkosw048` (low 2 bits zero). Without this, four texts
 * decode to the same bytes, and a frame could carry a value a client's `fromBase64` refuses.
 */
export const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/

type BufferLike = {
  from(data: Uint8Array | ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): Uint8Array & { toString(encoding: string): string }
}
// Node's Buffer is ~100× faster than a JS loop; browsers get btoa/atob, which are native too.
const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer
const CHUNK = 0x8000

/**
 * Encodes bytes as padded base64.
 * @throws {TypeError} when `bytes` is not a Uint8Array.
 */
export function toBase64(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`"bytes" expected Uint8Array, got ${typeof bytes}`)
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  return _portableToBase64(bytes)
}

/** @internal The browser path of {@link toBase64} (exported for tests). */
export function _portableToBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[])
  }
  return btoa(binary)
}

/**
 * Decodes padded base64. Only the canonical text of a byte string is accepted (padding bits
 * zero), so one byte string has exactly one encoding.
 * @throws {TypeError} when `text` is not a string or not canonical base64.
 */
export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`)
  if (NodeBuffer) {
    // Node decodes natively; the canonical text of a byte string is unique, so accepting the
    // input only when re-encoding gives it back is exactly the canonical check (and ~35× faster
    // on 64 KiB than the regular expression).
    const buf = NodeBuffer.from(text, 'base64')
    if (buf.toString('base64') !== text) throw new TypeError('"text" is not canonical base64')
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  return _checkedPortableFromBase64(text)
}

/** @internal The full browser path of {@link fromBase64}: canonical check, then decode (exported for tests). */
export function _checkedPortableFromBase64(text: string): Uint8Array {
  // The pattern checks the padding bits too (see BASE64_PATTERN).
  if (text.length % 4 !== 0 || !BASE64_PATTERN.test(text)) throw new TypeError('"text" is not canonical base64')
  return _portableFromBase64(text)
}

/** @internal The browser path of {@link fromBase64}, after validation (exported for tests). */
export function _portableFromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
