/**
 * The no-plaintext tests' scanner: does a row, file or log line hold a secret, as is, base64
 * (either alphabet, at any alignment) or hex — also nested inside base64 strings or bytes?
 */

/** Every way a secret could sit in a row, file or log line: as is, base64 (either alphabet) or hex. */
export function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8')
  const forms = new Set<string>([secret, bytes.toString('hex')])
  // base64 of the secret at each of the three alignments it can take inside a longer buffer.
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64')
    const inner = b64.slice(Math.ceil((pad * 4) / 3) + 1, -4)
    forms.add(inner)
    forms.add(inner.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return [...forms]
}

/** Flattens a row (or anything) to every string and byte value in it. */
export function* leaves(value: unknown): Generator<string> {
  if (typeof value === 'string') {
    yield value
    // A JSON or base64 string may hide a nested copy: decode base64-looking strings too.
    if (value.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) yield Buffer.from(value, 'base64').toString('latin1')
  } else if (value instanceof Uint8Array) {
    yield Buffer.from(value).toString('latin1')
    yield Buffer.from(value).toString('base64')
  } else if (Array.isArray(value)) {
    for (const v of value) yield* leaves(v)
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) yield* leaves(v)
  }
}

/** True when any string or byte value in `value` holds `secret` in one of its {@link encodings}. */
export function holds(value: unknown, secret: string): boolean {
  const forms = encodings(secret)
  for (const leaf of leaves(value)) if (forms.some((f) => leaf.includes(f))) return true
  return false
}
