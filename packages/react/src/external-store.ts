/**
 * A minimal external store for `useSyncExternalStore`: an immutable snapshot, replaced (never
 * mutated) on change, so React compares snapshots by reference. Nothing here touches `window`
 * or `document`: stores are created during render and filled only by client events, which
 * are wired in effects.
 */

/** A value React can subscribe to. */
export interface ExternalStore<T> {
  get(): T
  subscribe(listener: () => void): () => void
}

/** An {@link ExternalStore} its owner can write. */
export class Store<T> implements ExternalStore<T> {
  private value: T
  private readonly listeners = new Set<() => void>()

  constructor(initial: T) {
    this.value = initial
  }

  readonly get = (): T => this.value

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  /** Replaces the snapshot with `next` (or `next(current)`) and notifies when it changed. */
  set(next: T | ((current: T) => T)): void {
    const value = typeof next === 'function' ? (next as (current: T) => T)(this.value) : next
    if (Object.is(value, this.value)) return
    this.value = value
    for (const l of [...this.listeners]) l()
  }

  /** Shallow-merges `patch` into an object snapshot. */
  patch(this: Store<T & object>, patch: Partial<T>): void {
    const current = this.value as Record<string, unknown>
    if (Object.entries(patch).every(([k, v]) => Object.is(current[k], v))) return
    this.set({ ...this.value, ...patch })
  }
}
