/**
 * The edge fuzzer's memory verdict. RSS after forced GC, baseline to end, is not a leak detector
 * on its own: a burst of large sends and the first frames leave glibc's malloc (the main heap and
 * per-thread arenas) and V8's heap pages at a higher water mark they keep, which varies from run
 * to run (decision 0010). So three figures are judged, each of which a leak moves: memory JS
 * keeps alive and PGlite's WASM memory from the baseline (burst included), and RSS from a
 * warmed-up reading. `edge-fuzzer-harness.test.ts` proves a seeded leak fails it.
 */
import type { EdgeReport } from './_edge-harness.js'
import type { ServerMemory } from './_edge-server.js'

/**
 * Frames after which the server counts as warmed up (its code compiled, V8's heap and malloc's
 * arenas at their working size after the burst): the RSS reading then is the baseline of the
 * steady-state growth check. A tenth of the run (in whole windows of `window` frames), at least 500 frames.
 */
export function warmupFrames(frames: number, window: number): number {
  return Math.max(500, Math.ceil(frames / 10 / window) * window)
}
/**
 * Growth of the memory the server's JavaScript holds after forced GC (V8 heap in use plus
 * external memory: Buffers and other native objects JS keeps alive), baseline to final, burst
 * included. A leak in Parley's code (a map that keeps frames, a buffer per connection) lands here.
 */
export const JS_RETAINED_GROWTH_BOUND = 50 * 1024 * 1024
/** Growth of PGlite's WASM linear memory (never shrinks), baseline to final, burst included. */
export const PGLITE_WASM_GROWTH_BOUND = 100 * 1024 * 1024
/**
 * Growth of RSS after forced GC from the warmed-up reading to the end (issue 19's 100 MB, over
 * the frames after warm-up): a leak anywhere in the process, native memory included, that grows
 * with the frames lands here.
 */
export const RSS_STEADY_GROWTH_BOUND = 100 * 1024 * 1024

/**
 * Growth of what JS keeps alive, `from` → `to`: V8 heap in use plus memory outside it held by
 * JS objects. Node 20 counts ArrayBuffers inside `external`; on Node 26 `arrayBuffers` exceeds
 * `external` (50.6 against 15.6 MB at baseline here), so neither contains the other, yet a
 * leaked Buffer grew both by the same 202 MB. The larger of the two growths is taken, never
 * their sum.
 */
export function jsRetainedGrowth(from: ServerMemory, to: ServerMemory): number {
  return to.heapUsed - from.heapUsed + Math.max(to.external - from.external, to.arrayBuffers - from.arrayBuffers)
}

/** Why the server's memory over a run is not bounded, or [] when it is (see the bounds above). */
export function judgeMemory(r: EdgeReport): string[] {
  const { baseline, warm, final } = r.memory
  if (!baseline || !final) return ['memory not read']
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`
  const out: string[] = []
  const js = jsRetainedGrowth(baseline, final)
  if (js >= JS_RETAINED_GROWTH_BOUND) out.push(`JS-retained memory grew ${mb(js)} (bound ${mb(JS_RETAINED_GROWTH_BOUND)})`)
  const wasm = final.wasm - baseline.wasm
  if (wasm >= PGLITE_WASM_GROWTH_BOUND) out.push(`PGlite WASM memory grew ${mb(wasm)} (bound ${mb(PGLITE_WASM_GROWTH_BOUND)})`)
  if (!warm) out.push('no warmed-up reading (fewer frames than the warm-up)')
  else if (final.rss - warm.rss >= RSS_STEADY_GROWTH_BOUND) out.push(`RSS grew ${mb(final.rss - warm.rss)} after warm-up (bound ${mb(RSS_STEADY_GROWTH_BOUND)})`)
  return out
}

/** One server memory reading in MB. */
export function describeMemory(m: ServerMemory | undefined): string {
  if (!m) return 'not read'
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
  return `rss ${mb(m.rss)}, heapUsed ${mb(m.heapUsed)} (of ${mb(m.heapTotal)}), external ${mb(m.external)}, arrayBuffers ${mb(m.arrayBuffers)}, PGlite WASM ${mb(m.wasm)} MB; resident: ${Object.entries(m.parts).map(([k, v]) => `${k} ${mb(v)}`).join(', ')} MB`
}

