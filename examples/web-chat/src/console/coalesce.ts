/**
 * Coalesces bursts: a report flood or a run of actions sends one event each, and every open
 * console would re-read the queue (unsealing a page of transcripts) per event. The first call
 * starts a window; every call inside it is folded into one run at its end, so a console reads
 * at most once per window however fast events come (and a steady stream cannot starve it,
 * unlike a debounce that restarts its timer on every call).
 */

/** The console's refresh window after a server event, ms. */
export const CONSOLE_REFRESH_WINDOW_MS = 300

export interface Coalesced {
  (): void
  /** Drops a pending run (unmount). */
  cancel(): void
}

export function coalesce(fn: () => void, windowMs: number): Coalesced {
  let timer: ReturnType<typeof setTimeout> | null = null
  const call = (() => {
    timer ??= setTimeout(() => {
      timer = null
      fn()
    }, windowMs)
  }) as Coalesced
  call.cancel = () => {
    if (timer !== null) clearTimeout(timer)
    timer = null
  }
  return call
}
