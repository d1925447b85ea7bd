/**
 * A store that remembers everything the server hands it: every argument of every call on the
 * store and its sub-stores (`senderKeys`, `blobs`, `moderation`, …), copied at the call. A
 * value absent from every argument was never written to any backend, so the no-plaintext tests
 * can scan this with `plaintext-scan.ts` at memory-store speed (a PGlite store costs seconds).
 */
import type { ParleyStore } from '@parley/server'

/** A copy of `v` taken at the call (functions, e.g. callbacks, are left out). */
function snapshot(v: unknown, depth: number): unknown {
  if (depth > 32 || typeof v === 'function') return undefined
  if (v instanceof Uint8Array) return v.slice()
  if (v instanceof Map) return [...v.entries()].map((e) => snapshot(e, depth + 1))
  if (v instanceof Set) return [...v].map((e) => snapshot(e, depth + 1))
  if (Array.isArray(v)) return v.map((e) => snapshot(e, depth + 1))
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, snapshot(e, depth + 1)]))
  return v
}

/** Wraps `store`; `calls` receives `{ method, args }` per call, in order. */
export function recordingStore(store: ParleyStore, calls: { method: string; args: unknown[] }[]): ParleyStore {
  const wrap = <T extends object>(target: T, path: string): T =>
    new Proxy(target, {
      get(t, key, receiver) {
        const value = Reflect.get(t, key, receiver) as unknown
        const name = `${path}${String(key)}`
        if (typeof value === 'function') {
          return (...args: unknown[]) => {
            calls.push({ method: name, args: snapshot(args, 0) as unknown[] })
            return (value as (...a: unknown[]) => unknown).apply(t, args)
          }
        }
        return value !== null && typeof value === 'object' && !(value instanceof Uint8Array) ? wrap(value as object, `${name}.`) : value
      },
    })
  return wrap(store, '')
}
