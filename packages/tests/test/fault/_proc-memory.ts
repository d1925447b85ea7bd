/**
 * Where a Linux process's resident memory lives, read from `/proc/self/smaps`: the edge
 * fuzzer's server reports it beside `process.memoryUsage()` so RSS growth can be charged to a
 * part (V8's heap, malloc arenas, PGlite's WASM memory, mapped files) instead of guessed at.
 * Elsewhere (no `/proc`) every figure is 0.
 */
import { readFileSync } from 'node:fs'

/** Resident bytes by kind of mapping. */
export interface ResidentParts {
  /** The main malloc arena (`[heap]`, grown by brk). */
  brk: number
  /** Anonymous mappings aligned to glibc's 64 MiB arena size: the other malloc arenas (one per thread that allocated). */
  arenas: number
  /**
   * Anonymous mappings of 1 GiB or more: WASM memory reserved with guard pages. Measured 0 with
   * PGlite 0.5 on Node 20 and 26 (its 128 MB linear memory is in `otherAnon`); kept so a runtime
   * that reserves it shows apart.
   */
  wasmReserved: number
  /** Every other anonymous mapping: V8's heap pages, large mmap'd malloc blocks, thread stacks. */
  otherAnon: number
  /** File-backed mappings (the node binary, shared libraries, PGlite's files read through mmap). */
  files: number
}

/** glibc's arena size on 64-bit (HEAP_MAX_SIZE: 2 × DEFAULT_MMAP_THRESHOLD_MAX). */
const ARENA_BYTES = 64 * 1024 * 1024
const WASM_RESERVATION_BYTES = 1024 * 1024 * 1024

/** Reads `/proc/self/smaps` (a few ms; call it rarely). */
export function residentParts(): ResidentParts {
  const parts: ResidentParts = { brk: 0, arenas: 0, wasmReserved: 0, otherAnon: 0, files: 0 }
  let text: string
  try {
    text = readFileSync('/proc/self/smaps', 'utf8')
  } catch {
    return parts
  }
  let kind: keyof ResidentParts = 'otherAnon'
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line)
    if (head) {
      const start = BigInt(`0x${head[1]}`)
      const size = Number(BigInt(`0x${head[2]}`) - start)
      const name = head[4]!.trim()
      const inode = head[3]!
      if (name === '[heap]') kind = 'brk'
      else if (inode !== '0' || name.startsWith('/')) kind = 'files'
      else if (size >= WASM_RESERVATION_BYTES) kind = 'wasmReserved'
      else if (start % BigInt(ARENA_BYTES) === 0n && size <= ARENA_BYTES && name === '') kind = 'arenas'
      else kind = 'otherAnon'
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss) parts[kind] += Number(rss[1]) * 1024
  }
  return parts
}
