/**
 * A small typed event emitter (no Node `events`, so it bundles for browsers). A listener that
 * throws does not stop the others or the client; its error is passed to `onListenerError`.
 */

type Listener<A> = (arg: A) => void

/** Typed emitter over an event map `{ name: payload }`. */
export class Emitter<M extends Record<string, unknown>> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>()

  constructor(private readonly onListenerError: (error: unknown) => void = () => {}) {}

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: (payload: M[K]) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('"listener" expected a function')
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener as Listener<never>)
    return () => this.off(event, listener)
  }

  /** Adds a listener that runs once. */
  once<K extends keyof M>(event: K, listener: (payload: M[K]) => void): () => void {
    const off = this.on(event, (p) => {
      off()
      listener(p)
    })
    return off
  }

  /** Removes a listener. */
  off<K extends keyof M>(event: K, listener: (payload: M[K]) => void): void {
    this.listeners.get(event)?.delete(listener as Listener<never>)
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof M): number {
    return this.listeners.get(event)?.size ?? 0
  }

  /** Calls every listener of `event` with `payload`. */
  emit<K extends keyof M>(event: K, payload: M[K]): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const l of [...set]) {
      try {
        ;(l as Listener<M[K]>)(payload)
      } catch (e) {
        this.onListenerError(e)
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.listeners.clear()
  }
}
