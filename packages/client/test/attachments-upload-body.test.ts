/**
 * The upload loop (src/attachments/upload.ts) against a minimal tus-like server, with both
 * kinds of request body (src/attachments/request-body.ts): streamed (Node, Deno, Bun) and
 * bytes (browsers, which stream request bodies only over HTTP/2). Each must store the file
 * stream byte for byte in segments of at most UPLOAD_SEGMENT_BYTES; the controls show which
 * body each PATCH really carried (chunked vs. a Content-Length).
 */
import { createServer, type Server } from 'node:http'
import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromBase64 } from '@parley/protocol'
import { fileCiphertextSize, nodeNativeProvider, openFile } from '@parley/crypto'
import { UPLOAD_SEGMENT_BYTES, uploadFile } from '../src/attachments/upload.js'
import { segmentBody, STREAMED_REQUEST_BODIES } from '../src/attachments/request-body.js'
import { sizedSource } from '../src/attachments/source.js'

interface Patch { offset: number; length: number; chunked: boolean; contentLength: number | null }

let server: Server
let base = ''
// The native primitives keep the test quick (the file stream's own tests tie them to noble).
const sym = nodeNativeProvider()
const stored = new Map<string, { bytes: Buffer[]; patches: Patch[] }>()

beforeAll(async () => {
  server = createServer((req, res) => {
    const id = req.url!.split('/')[2]
    if (req.method === 'POST') {
      const newId = randomBytes(16).toString('base64url')
      stored.set(newId, { bytes: [], patches: [] })
      req.resume()
      req.on('end', () => res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ id: newId, offset: 0 })))
      return
    }
    const rec = stored.get(id!)!
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => {
      const body = Buffer.concat(parts)
      const held = rec.bytes.reduce((n, b) => n + b.length, 0)
      if (Number(req.headers['upload-offset']) !== held) return void res.writeHead(409).end()
      rec.bytes.push(body)
      const cl = req.headers['content-length']
      rec.patches.push({ offset: held, length: body.length, chunked: req.headers['transfer-encoding'] === 'chunked', contentLength: cl === undefined ? null : Number(cl) })
      res.writeHead(204, { 'Upload-Offset': held + body.length }).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/a`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('upload request bodies', () => {
  it('control: fetch here is undici, which streams request bodies, so that is the default', () => {
    expect(STREAMED_REQUEST_BODIES).toBe(true)
    expect(segmentBody(new Uint8Array(1))).toHaveProperty('duplex', 'half')
    expect(segmentBody(new Uint8Array(1), false)).not.toHaveProperty('duplex')
  })

  it.each([['streamed', true], ['bytes', false]] as const)('a file of several segments uploads byte for byte with %s bodies', async (_name, streamBodies) => {
    const plain = new Uint8Array(randomBytes(2 * UPLOAD_SEGMENT_BYTES + 12_345))
    const progress: number[] = []
    const up = await uploadFile(
      { base, token: async () => 't', fetch: (...a) => globalThis.fetch(...a), streamBodies },
      'c1', sizedSource(plain, undefined, 'attachment'), { onProgress: (p) => progress.push(p.bytes), sym },
    )
    const rec = stored.get(up.file.id)!
    const sealed = Buffer.concat(rec.bytes)
    expect(sealed.length).toBe(fileCiphertextSize(plain.length))
    expect(Buffer.compare(openFile(fromBase64(up.file.key), sealed, { sym }), plain)).toBe(0)
    expect(up.sha256).toBe(createHash('sha256').update(plain).digest('base64'))
    expect(rec.patches.length).toBe(3)
    expect(rec.patches.every((p) => p.length <= UPLOAD_SEGMENT_BYTES)).toBe(true)
    expect(progress.at(-1)).toBe(sealed.length)
    // Controls: the body kind each PATCH carried.
    for (const p of rec.patches) {
      expect(p.chunked).toBe(streamBodies)
      expect(p.contentLength).toBe(streamBodies ? null : p.length)
    }
  })

  it('an empty and a small file go up in one PATCH each', async () => {
    for (const size of [0, 1000]) {
      const plain = new Uint8Array(randomBytes(size))
      const up = await uploadFile({ base, token: async () => 't', fetch: (...a) => globalThis.fetch(...a) }, 'c1', sizedSource(plain, undefined, 'attachment'), { sym })
      const rec = stored.get(up.file.id)!
      expect(rec.patches.map((p) => p.length)).toEqual([fileCiphertextSize(size)])
      expect(Buffer.compare(openFile(fromBase64(up.file.key), Buffer.concat(rec.bytes), { sym }), plain)).toBe(0)
    }
  })
})
