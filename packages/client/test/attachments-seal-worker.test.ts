/**
 * The upload sealing on a worker thread (src/attachments/seal-worker.ts) against the one on this
 * thread (upload-sealing.ts), through the real upload loop and a minimal tus-like server: the
 * same key and salt must put the same bytes on the wire in the same PATCHes with the same hash,
 * for both request-body kinds (bytes bodies keep to this thread); a failure mid-file (a server 5xx, a source that breaks) must give
 * the same typed error both ways and leave no worker running. Controls: the worker really ran
 * (and only on the worker path), and the failing server really answered 5xx.
 */
import { createServer, type Server } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromBase64, InternalError } from '@parley/protocol'
import { fileCiphertextSize, nodeNativeProvider, openFile, seededRandom } from '@parley/crypto'
import { UPLOAD_SEGMENT_BYTES, uploadFile, type UploadInternals } from '../src/attachments/upload.js'
import { canSealOnWorker, liveSealWorkers } from '../src/attachments/seal-worker.js'
import { sizedSource, type SizedSource } from '../src/attachments/source.js'
import type { AttachmentEndpoint } from '../src/attachments/http.js'

const sym = nodeNativeProvider()
/** Uploads whose n-th PATCH (1-based) the server answers 500. */
const failAt = new Map<string, number>()
const stored = new Map<string, { bytes: Buffer[]; patches: number[]; answered500: number }>()
let server: Server
let base = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    const id = req.url!.split('/')[2]!
    if (req.method === 'POST') {
      const newId = randomBytes(16).toString('base64url')
      stored.set(newId, { bytes: [], patches: [], answered500: 0 })
      req.resume()
      req.on('end', () => res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: newId, offset: 0 })))
      return
    }
    const rec = stored.get(id)!
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      if (req.method === 'DELETE') return void res.writeHead(204).end()
      if (failAt.get(id) === rec.patches.length + 1) {
        rec.answered500++
        return void res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal', message: 'store failed' } }))
      }
      const body = Buffer.concat(parts)
      const held = rec.bytes.reduce((n, b) => n + b.length, 0)
      if (Number(req.headers['upload-offset']) !== held) return void res.writeHead(409).end()
      rec.bytes.push(body)
      rec.patches.push(body.length)
      res.writeHead(204, { 'Upload-Offset': held + body.length }).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/a`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

const endpoint = (streamBodies: boolean, onPost?: (id: string) => void): AttachmentEndpoint => ({
  base, token: async () => 't', streamBodies,
  fetch: async (...a) => {
    const res = await globalThis.fetch(...a)
    if (a[1]?.method === 'POST' && onPost) onPost((await res.clone().json() as { id: string }).id)
    return res
  },
})
const SIZE = 2 * UPLOAD_SEGMENT_BYTES + 12_345 // three PATCHes, the last one partial
const plain = new Uint8Array(randomBytes(SIZE))
const paths = [['worker', true], ['this thread', false]] as const

async function upload(sealOnWorker: boolean, options: UploadInternals & { streamBodies?: boolean; source?: SizedSource; failPatch?: number } = {}) {
  let workersSeen = 0
  const ep = endpoint(options.streamBodies ?? true, (id) => options.failPatch && failAt.set(id, options.failPatch))
  const up = uploadFile(ep, 'c1', options.source ?? sizedSource(plain, undefined, 'attachment'), {
    sym, sealOnWorker, random: seededRandom(new Uint8Array(32).fill(9)),
    onProgress: () => void (workersSeen = Math.max(workersSeen, liveSealWorkers())),
  })
  return { up, workersSeen: () => workersSeen }
}

describe('upload sealing on a worker thread', () => {
  it('control: Node has worker threads here, and none runs before an upload', () => {
    expect(canSealOnWorker()).toBe(true)
    expect(liveSealWorkers()).toBe(0)
  })

  it.each([['streamed', true], ['bytes', false]] as const)('a multi-segment file: the same bytes, PATCHes and hash from both paths (%s bodies)', async (_kind, streamBodies) => {
    const results = []
    for (const [, onWorker] of paths) {
      const { up, workersSeen } = await upload(onWorker, { streamBodies })
      const done = await up
      const rec = stored.get(done.file.id)!
      results.push({ done, rec, workersSeen: workersSeen() })
      expect(liveSealWorkers()).toBe(0) // terminated once the upload ended
    }
    const [w, m] = results as [(typeof results)[0], (typeof results)[0]]
    // Control: the worker path sealed on a worker (only with streamed bodies: its shared buffers
    // cannot go out as fetch bytes bodies, so it falls back to this thread), the other did not.
    expect(w.workersSeen).toBe(streamBodies ? 1 : 0)
    expect(m.workersSeen).toBe(0)
    expect(w.done.file.key).toBe(m.done.file.key)
    expect(w.done.sha256).toBe(m.done.sha256)
    expect(w.done.sha256).toBe(createHash('sha256').update(plain).digest('base64'))
    expect(w.rec.patches).toEqual(m.rec.patches)
    expect(w.rec.patches.length).toBe(3)
    const sealed = Buffer.concat(w.rec.bytes)
    expect(sealed.length).toBe(fileCiphertextSize(SIZE))
    expect(Buffer.compare(sealed, Buffer.concat(m.rec.bytes))).toBe(0)
    expect(Buffer.compare(openFile(fromBase64(w.done.file.key), sealed, { sym }), plain)).toBe(0)
  })

  it.each(paths)('a server 5xx on the second PATCH: InternalError, no worker left (%s)', async (_name, onWorker) => {
    let id = ''
    const { up } = await upload(onWorker, { failPatch: 2 })
    const error = await up.then(() => null, (e: unknown) => e)
    expect(InternalError.isInstance(error)).toBe(true)
    expect((error as InternalError).code).toBe('internal')
    expect(liveSealWorkers()).toBe(0)
    for (const [k, rec] of stored) if (failAt.get(k) === 2 && rec.answered500 > 0) id = k
    expect(stored.get(id)?.patches.length).toBe(1) // control: the first PATCH landed, the second was refused
  })

  it.each(paths)('a source that breaks mid-file: its own error, no worker left (%s)', async (_name, onWorker) => {
    const broken: SizedSource = {
      size: SIZE,
      async *pieces() {
        yield plain.subarray(0, UPLOAD_SEGMENT_BYTES + 1000)
        throw new RangeError('the disk went away')
      },
    }
    const { up } = await upload(onWorker, { source: broken })
    await expect(up).rejects.toThrow(/the disk went away/)
    expect(liveSealWorkers()).toBe(0)
  })
})
