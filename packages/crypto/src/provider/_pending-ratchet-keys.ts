/**
 * The imported key object of each fresh ratchet key pair, kept for the one DH it is still
 * needed for (docs/decisions/0011-pending-ratchet-key-objects.md). A DH ratchet step makes a
 * key pair (one private-key import: OpenSSL derives the public key, a scalar multiplication)
 * and the peer's next ratchet key is DH'd with the same secret; importing it again costs as
 * much as the DH itself. Taken once: the entry is removed, and its copy of the secret wiped,
 * at that DH, so the key object lives no longer than the session state's own copy of the
 * secret. Bounded: the oldest entry (a session that never heard back) is dropped first.
 */
import { equalBytes } from '../_bytes.js'

/** Fresh ratchet key pairs kept per provider (one per session awaiting a reply, beyond which the oldest re-imports). */
export const MAX_PENDING_RATCHET_KEYS = 16

export class PendingRatchetKeys<K> {
  readonly #entries: { secret: Uint8Array; key: K }[] = []
  constructor(private readonly max = MAX_PENDING_RATCHET_KEYS) {}

  /** Keeps `key` (imported from `secret`) for one later {@link take}. */
  keep(secret: Uint8Array, key: K): void {
    this.#entries.push({ secret: secret.slice(), key })
    if (this.#entries.length > this.max) this.#entries.shift()!.secret.fill(0)
  }

  /** The key kept for `secret`, removed (and its copy of the secret wiped); undefined when none is. */
  take(secret: Uint8Array): K | undefined {
    for (let i = 0; i < this.#entries.length; i++) {
      const e = this.#entries[i]!
      if (e.secret.length === secret.length && equalBytes(e.secret, secret)) {
        this.#entries.splice(i, 1)
        e.secret.fill(0)
        return e.key
      }
    }
    return undefined
  }

  /** Entries held (for tests). */
  get size(): number {
    return this.#entries.length
  }

  /** Whether a key is held for `secret` (for tests; does not take it). */
  holds(secret: Uint8Array): boolean {
    return this.#entries.some((e) => e.secret.length === secret.length && equalBytes(e.secret, secret))
  }
}
