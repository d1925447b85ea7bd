/**
 * Skipped message keys of a receiving chain (Double Ratchet §3.5 with libsignal's bounds): at
 * most {@link MAX_MESSAGE_KEYS} per chain, the oldest evicted. A key is used once, then removed.
 */
import { toBase64 } from '../_bytes.js'
import { MAX_MESSAGE_KEYS } from '../constants.js'

/** Appends new skipped keys (ascending index) and evicts the oldest beyond the bound. */
export function addSkipped(existing: [number, string][], added: [number, Uint8Array][]): [number, string][] {
  if (added.length === 0) return existing
  const next = existing.concat(added.map(([i, k]) => [i, toBase64(k)] as [number, string]))
  return next.length > MAX_MESSAGE_KEYS ? next.slice(next.length - MAX_MESSAGE_KEYS) : next
}

/** Finds the stored key for index `n`: its position, or -1. */
export function findSkipped(skipped: [number, string][], n: number): number {
  for (let i = 0; i < skipped.length; i++) if (skipped[i]![0] === n) return i
  return -1
}

/** A copy without the entry at `position`. */
export function removeSkipped(skipped: [number, string][], position: number): [number, string][] {
  return skipped.slice(0, position).concat(skipped.slice(position + 1))
}
