/**
 * An upload's sealing and hashing on a Node worker thread (`@parley/crypto`
 * `FILE_SEAL_WORKER_SOURCE`): this thread lays the plaintext out (`DeferredFileSealer`) in
 * segment buffers shared with the worker, which hashes and seals it in place. One worker per
 * upload, started when the upload starts, terminated when it ends — finished, failed or
 * aborted; it holds the process open only while it has work, so a forgotten one cannot keep an
 * app from exiting. Where `node:worker_threads` is missing
 * (browsers, workers of other runtimes) there is none and the upload seals on its own thread.
 */
import { InternalError } from '@parley/protocol'
import { DeferredFileSealer, FILE_SEAL_WORKER_SOURCE, type FileSealJob, type FileStreamOptions } from '@parley/crypto'
import type { UploadSealing } from './upload-sealing.js'

/**
 * Smallest file sealed on a worker: below it, starting a thread (tens of ms under load, a few
 * MB) costs about what the crypto it takes off this thread does (~0.55 s per 100 MiB measured,
 * so ~45 ms for 8 MiB).
 */
export const WORKER_SEAL_MIN_BYTES = 8 * 1024 * 1024

interface NodeWorker {
  postMessage(value: unknown, transfer?: ArrayBuffer[]): void
  on(event: 'message' | 'error' | 'exit', listener: (value: never) => void): void
  ref(): void
  unref(): void
  terminate(): Promise<number>
}
type WorkerThreads = { Worker: new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker }

function workerThreads(): WorkerThreads | null {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown }; document?: unknown; Deno?: unknown; Bun?: unknown }
  if (g.document !== undefined) return null // a renderer (Electron) with Node's process: keep to the page's thread
  // Deno and Bun emulate node:worker_threads; the script (CommonJS `require`, `eval`) is tested on Node only.
  if (g.Deno !== undefined || g.Bun !== undefined) return null
  try {
    const mod = g.process?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined
    return mod && typeof mod.Worker === 'function' ? mod : null
  } catch {
    return null
  }
}

let live = 0
/** Seal workers running now (tests: none may outlive its upload). */
export function liveSealWorkers(): number {
  return live
}

/** True where an upload can seal on a worker thread. */
export function canSealOnWorker(): boolean {
  return workerThreads() !== null
}

type Answer = { buf?: Uint8Array; done?: boolean; digest?: Uint8Array; error?: string }

/**
 * Sealing on a new worker thread, or null where there are no worker threads.
 * @example const s = workerSealing(key, { sym }) ?? mainThreadSealing(key, { sym })
 */
export function workerSealing(key: Uint8Array, options: FileStreamOptions = {}): UploadSealing | null {
  const threads = workerThreads()
  if (!threads) return null
  const sealer = new DeferredFileSealer(key, options)
  let worker: NodeWorker
  try {
    worker = new threads.Worker(FILE_SEAL_WORKER_SOURCE, { eval: true, workerData: sealer.workerData })
  } catch {
    return null // no thread to be had (resource limits): seal on this thread
  }
  live++
  // Answers come in the order of the requests (one message port, one thread).
  const waiting: { resolve(a: Answer): void; reject(e: unknown): void }[] = []
  let failure: unknown = null
  let exited = false
  const fail = (e: unknown) => {
    failure ??= e
    for (const w of waiting.splice(0)) w.reject(failure)
    worker.unref()
  }
  worker.on('message', (a: Answer) => {
    const w = waiting.shift()
    if (waiting.length === 0) worker.unref()
    if (a.error !== undefined) w?.reject(new InternalError(`sealing the attachment failed: ${a.error}`))
    else w?.resolve(a)
  })
  worker.on('error', (e: Error) => fail(new InternalError(`the sealing worker failed: ${e.message}`)))
  worker.on('exit', () => {
    if (!exited) live--
    exited = true
    fail(new InternalError('the sealing worker stopped'))
  })
  worker.unref()
  const ask = (message: unknown, transfer: ArrayBuffer[] = []): Promise<Answer> => {
    if (failure) return Promise.reject(failure)
    return new Promise<Answer>((resolve, reject) => {
      waiting.push({ resolve, reject })
      worker.ref() // busy: keep the process alive until it answers
      worker.postMessage(message, transfer)
    })
  }
  return {
    // Shared with the worker, so no segment is transferred (each transfer would hand this
    // thread's garbage collector 4 MiB of new external memory to account for) and this thread
    // keeps its view. Only streamed request bodies read a shared buffer correctly (upload.ts).
    buffer: (bytes) => new Uint8Array(new SharedArrayBuffer(bytes)),
    header: sealer.header,
    sealedBytesFor: (n) => sealer.sealedBytesFor(n),
    get finalBytes() {
      return sealer.finalBytes
    },
    pushInto: (data, out, at) => sealer.pushInto(data, out, at),
    finishInto: (out, at) => sealer.finishInto(out, at),
    async seal(out) {
      const job: FileSealJob | null = sealer.takeJob()
      if (!job) return out
      const shared = out.buffer instanceof SharedArrayBuffer
      const a = await ask({ buf: out, ...job }, shared ? [] : [out.buffer as ArrayBuffer])
      if (shared && a.done === true) return out
      if (!shared && a.buf instanceof Uint8Array) return a.buf
      throw new InternalError('the sealing worker answered without the segment')
    },
    async digest() {
      const a = await ask({ digest: true })
      if (!(a.digest instanceof Uint8Array)) throw new InternalError('the sealing worker answered without the digest')
      return a.digest
    },
    async close() {
      failure ??= new InternalError('the upload ended')
      if (exited) return
      await worker.terminate()
      if (!exited) live--
      exited = true
    },
  }
}
