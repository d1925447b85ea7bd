/**
 * A small bounded LRU map for imported platform *public* key objects, so a peer key is
 * imported once and reused. Never used for private keys: native providers import a secret
 * per call, so no ephemeral or ratchet secret outlives the operation that used it.
 */

/** Most imported public keys a native provider keeps per kind. */
export const MAX_CACHED_KEYS = 512

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
/** Map key for raw key bytes. */
export function cacheId(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!]
  return s
}

/** Bounded insertion-ordered cache with LRU refresh on hit. */
export class KeyCache<V> {
  readonly #map = new Map<string, V>()
  constructor(private readonly max = MAX_CACHED_KEYS) {}
  get(id: string, make: () => V): V {
    const hit = this.#map.get(id)
    if (hit !== undefined) {
      this.#map.delete(id)
      this.#map.set(id, hit)
      return hit
    }
    const v = make()
    this.#map.set(id, v)
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value as string)
    return v
  }
}

/** True when every byte is zero (constant time over the length). */
export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i]!
  return acc === 0
}
