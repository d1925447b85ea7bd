/**
 * The `KeyStore` interface: where a device keeps its identity, prekey secrets, sessions,
 * pinned peer keys, outbox and message log. Small, async and JSON-valued so the same client
 * code runs over memory, a file (Node) or IndexedDB (browser). `saveChanges` is the one
 * atomic write: every change in it lands, or none does — the client relies on it to write a
 * ratchet state and the ciphertext it produced (or a message and the inbox cursor) together.
 */

/** A JSON-safe value (what a key store holds). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** One batch of changes: a value to write, or `null` to delete the key. */
export type KeyStoreChanges = Readonly<Record<string, JsonValue | null>>

/** Longest key a store accepts, in characters. */
export const MAX_KEY_STORE_KEY_LENGTH = 512

/**
 * Device-local persistent storage. Every implementation runs the same conformance suite
 * (`packages/client/test/key-store-contract.ts`).
 */
export interface KeyStore {
  /** A short name for logs ("memory", "file", "indexeddb"). */
  readonly kind: string
  /** The value under `key`, or `null` when absent. The result is a copy: mutating it changes nothing. */
  get<T extends JsonValue = JsonValue>(key: string): Promise<T | null>
  /** Writes one value (same as `saveChanges({ [key]: value })`). */
  set(key: string, value: JsonValue): Promise<void>
  /** Removes one key; removing an absent key is not an error. */
  delete(key: string): Promise<void>
  /** Applies every change atomically: all of them are durable when this resolves, or none is. */
  saveChanges(changes: KeyStoreChanges): Promise<void>
  /** Every key that starts with `prefix`, sorted (code-unit order). */
  keys(prefix?: string): Promise<string[]>
  /** Releases files or database handles. Later calls reject with `StoreError`. */
  close(): Promise<void>
}

/** The parts of a {@link KeyStore} a backend implements; `set`/`delete` derive from `saveChanges`. */
export type KeyStoreCore = Omit<KeyStore, 'set' | 'delete'>

/** Completes a backend into a {@link KeyStore}: single-key writes go through `saveChanges`, so they are atomic the same way. */
export function keyStoreFrom(core: KeyStoreCore): KeyStore {
  return {
    ...core,
    async set(key, value) {
      await core.saveChanges({ [assertKey(key)]: value })
    },
    async delete(key) {
      await core.saveChanges({ [assertKey(key)]: null })
    },
  }
}

/**
 * Checks a key: a non-empty string of at most {@link MAX_KEY_STORE_KEY_LENGTH} characters.
 * @throws {TypeError} when `key` is not a non-empty string.
 * @throws {RangeError} when `key` is too long.
 */
export function assertKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError(`"key" expected non-empty string, got ${typeof key}`)
  if (key.length > MAX_KEY_STORE_KEY_LENGTH) {
    throw new RangeError(`"key" expected at most ${MAX_KEY_STORE_KEY_LENGTH} characters, got length=${key.length}`)
  }
  return key
}

/**
 * Deep-copies a JSON value, refusing anything JSON cannot hold (so a store never keeps a value
 * it could not write back): `undefined`, functions, non-finite numbers, typed arrays, cycles.
 * @throws {TypeError} naming the path of the first bad value.
 */
export function cloneJson(value: unknown, path = 'value'): JsonValue {
  // The fast path builds no path strings (it runs on every store read and write); only when it
  // refuses a value is the slow path re-run to name where.
  const fast = fastClone(value, 0)
  if (fast !== REFUSED) return fast
  return _clone(value, path, new Set())
}

/** Marks a value {@link fastClone} refused. */
const REFUSED = Symbol('refused')
/** Nesting beyond this is treated as a possible cycle and left to the checking slow path. */
const FAST_CLONE_MAX_DEPTH = 64

function fastClone(value: unknown, depth: number): JsonValue | typeof REFUSED {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : REFUSED
  if (typeof value !== 'object' || depth > FAST_CLONE_MAX_DEPTH) return REFUSED
  if (Array.isArray(value)) {
    const out = new Array<JsonValue>(value.length)
    for (let i = 0; i < value.length; i++) {
      const item = fastClone(value[i], depth + 1)
      if (item === REFUSED) return REFUSED
      out[i] = item
    }
    return out
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return REFUSED
  const out: Record<string, JsonValue> = {}
  for (const k in value) {
    if (!Object.prototype.hasOwnProperty.call(value, k)) continue
    const raw = (value as Record<string, unknown>)[k]
    if (raw === undefined) continue // as JSON.stringify does
    const item = fastClone(raw, depth + 1)
    if (item === REFUSED) return REFUSED
    out[k] = item
  }
  return out
}

function _clone(value: unknown, path: string, seen: Set<object>): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`"${path}" expected a finite number, got ${value}`)
    return value
  }
  if (typeof value !== 'object') throw new TypeError(`"${path}" expected a JSON value, got ${typeof value}`)
  if (seen.has(value)) throw new TypeError(`"${path}" is a cycle`)
  seen.add(value)
  try {
    if (Array.isArray(value)) return value.map((item, i) => _clone(item, `${path}[${i}]`, seen))
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`"${path}" expected a plain object, got ${proto?.constructor?.name ?? 'object'}`)
    }
    const out: Record<string, JsonValue> = {}
    for (const [k, item] of Object.entries(value)) {
      if (item === undefined) continue // as JSON.stringify does
      out[k] = _clone(item, `${path}.${k}`, seen)
    }
    return out
  } finally {
    seen.delete(value)
  }
}

/**
 * Validates and copies a change batch (shared by every backend so they fail identically).
 * @throws {TypeError} / {RangeError} for a bad key or value.
 */
export function normalizeChanges(changes: KeyStoreChanges): Map<string, JsonValue | null> {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    throw new TypeError(`"changes" expected an object of key → value|null`)
  }
  const out = new Map<string, JsonValue | null>()
  for (const [key, value] of Object.entries(changes)) {
    assertKey(key)
    out.set(key, value === null ? null : cloneJson(value, key))
  }
  return out
}
