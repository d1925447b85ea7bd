/**
 * The provider seam: every primitive Parley's sessions use, behind one interface, so platform
 * code (`node:crypto`, WebCrypto) can accelerate it while noble stays the reference. A provider
 * must give noble's bytes for every input (fixed vectors, Wycheproof and the self-test in
 * `pickProvider()` check it), and reject exactly what noble rejects. {@link nobleProvider}
 * (provider/noble.ts) is the pure-JS reference and the default.
 */

/** A value or a promise of it: native providers may be async (WebCrypto). */
export type Awaitable<T> = T | Promise<T>

/** The primitives a provider can run on platform code (see {@link CryptoProvider.accelerated}). */
export type AcceleratedPrimitive = 'x25519' | 'ed25519' | 'ml-kem-768' | 'hmac-sha256' | 'hkdf-sha256' | 'chacha20' | 'chacha20-poly1305'

/**
 * HMAC-SHA256 (RFC 2104), HKDF-SHA256 (RFC 5869), XChaCha20 (draft-irtf-cfrg-xchacha) and
 * ChaCha20-Poly1305 (RFC 8439): synchronous, because the ratchet's chain steps, the committing
 * AEAD and the file stream's chunks are.
 */
export interface SymmetricPrimitives {
  /** HMAC-SHA256 of the concatenation of `parts` (streamed, no copy). */
  hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array
  /**
   * HKDF-SHA256; `salt` undefined means 32 zero bytes (RFC 5869 §2.2).
   * @throws {RangeError} when `length` is not in [0, 255 × 32].
   */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array
  /** XChaCha20 keystream XOR from block counter 0 (32-byte key, 24-byte nonce). */
  xchacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array
  /**
   * ChaCha20-Poly1305 (RFC 8439 §2.8): `ciphertext ‖ tag(16)`. Not key-committing on its own:
   * Parley uses it only under a key the reader has already checked against a commitment (the
   * file stream's header, docs/decisions/0029).
   * @throws {TypeError|RangeError} when `key` is not 32 bytes or `nonce` not 12.
   */
  chacha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array
  /**
   * Opens {@link chacha20Poly1305Seal}'s output; null (never a throw) when it is shorter than a
   * tag or the tag does not match.
   * @throws {TypeError|RangeError} when `key` is not 32 bytes or `nonce` not 12.
   */
  chacha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null
}

/** An ML-KEM-768 encapsulation (FIPS 203). */
export interface KemEncapsulation {
  cipherText: Uint8Array
  sharedSecret: Uint8Array
}

/** One X25519 secret's shared secrets with several public keys, and its own public key if asked. */
export interface X25519Exchange {
  publicKey: Uint8Array | undefined
  shared: Uint8Array[]
}

/** X25519 (RFC 7748), Ed25519 (RFC 8032), ML-KEM-768 (FIPS 203) and the symmetric primitives. */
export interface CryptoProvider extends SymmetricPrimitives {
  /** Short name for logs and benchmarks: `noble`, `node`, `webcrypto`. */
  readonly name: string
  /** The primitives this provider runs on platform code; the others are noble's. */
  readonly accelerated: readonly AcceleratedPrimitive[]
  /** X25519 public key of a 32-byte secret. */
  x25519PublicKey(secretKey: Uint8Array): Awaitable<Uint8Array>
  /** X25519 shared secret. Rejects an all-zero result (small-order peer key) with RangeError. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Awaitable<Uint8Array>
  /**
   * Optional: X25519 of one secret with each of `publicKeys` (and its public key when
   * `withPublicKey`), as PQXDH and a DH ratchet step need, so a native provider imports the
   * secret once. Must equal calling {@link x25519PublicKey} and {@link x25519}; a wrapper that
   * overrides those two should override or omit this one. Without it, they are called.
   * `keepForNextUse` (a fresh ratchet key pair) lets a native provider keep the imported key for
   * the one later {@link x25519} with the same secret (see docs/decisions/0011); others ignore it.
   */
  x25519Exchange?(secretKey: Uint8Array, publicKeys: readonly Uint8Array[], withPublicKey: boolean, keepForNextUse?: boolean): Awaitable<X25519Exchange>
  /** Ed25519 public key of a 32-byte secret seed. */
  ed25519PublicKey(secretKey: Uint8Array): Awaitable<Uint8Array>
  /** Ed25519 signature (64 bytes). */
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Awaitable<Uint8Array>
  /**
   * Ed25519 verification under Parley's one rule (strict RFC 8032, see `ed25519-rule.ts`);
   * false (never a throw) for any malformed input.
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Awaitable<boolean>
  /**
   * ML-KEM-768 encapsulation to a 1,184-byte key. With `m` (32 bytes, FIPS 203
   * ML-KEM.Encaps_internal) the result is deterministic and every provider computes it with
   * noble, since platforms draw `m` themselves.
   * @throws {RangeError} when `publicKey` is not a valid encapsulation key (length or modulus).
   */
  mlKem768Encapsulate(publicKey: Uint8Array, m?: Uint8Array): Awaitable<KemEncapsulation>
  /**
   * ML-KEM-768 decapsulation with a 2,400-byte decapsulation key. `reused` marks a key used
   * more than once (a last-resort prekey), which a provider may prepare once.
   * @throws {RangeError} when the key fails FIPS 203's input checks or the ciphertext is not 1,088 bytes.
   */
  mlKem768Decapsulate(cipherText: Uint8Array, secretKey: Uint8Array, reused?: boolean): Awaitable<Uint8Array>
}
