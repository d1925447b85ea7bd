/** Small helpers: random ids, UTF-8, a promise mutex. */

/** A random id in the protocol's id alphabet, with an optional prefix. */
export function randomId(prefix = '', bytes = 12): string {
  const b = new Uint8Array(bytes)
  globalThis.crypto.getRandomValues(b)
  let out = prefix
  for (const x of b) out += x.toString(16).padStart(2, '0')
  return out
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
export const utf8 = (s: string) => encoder.encode(s)
export const fromUtf8 = (b: Uint8Array) => decoder.decode(b)

/** Runs async critical sections one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn)
    this.tail = next.catch(() => {})
    return next
  }
}
