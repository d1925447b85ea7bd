/**
 * Downloading an out-of-band attachment (docs/attachments.md, "Download"): `GET` the sealed
 * stream, open it chunk by chunk with the key from the (franked) message, and check the
 * plaintext's size and SHA-256 against what the message committed to. After a cut the
 * download resumes with `Range: bytes=<received>-`; the opener keeps its place.
 *
 * Every chunk handed out has passed its tag under the message's key, so it is the sender's
 * bytes at that place; the whole file's hash is known only at the end, so a streaming reader
 * must treat what it got as unconfirmed until the iteration ends without an error
 * (`downloadFile` does that for you).
 */
import { AttachmentCorruptError, fromBase64, toBase64, type AttachmentMeta } from '@parley/protocol'
import { FileOpener, fileCiphertextSize, sha256Stream, type SymmetricPrimitives } from '@parley/crypto'
import { httpError, isNetworkError, type AttachmentEndpoint } from './http.js'
import { MAX_TRANSFER_ATTEMPTS, type AttachmentProgress } from './upload.js'

/** Options of a download. */
export interface DownloadOptions {
  onProgress?: (p: AttachmentProgress) => void
  sym?: SymmetricPrimitives
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The verified plaintext of an out-of-band attachment, streamed.
 * @throws {AttachmentCorruptError} a wrong key, an altered, moved, cut or extended stream, or a
 * plaintext whose size or hash is not the committed one (at the end).
 * @throws {TypeError} when `meta` has no `file` reference.
 * @throws a typed server error (`ForbiddenError` for a non-member, `NotFoundError`, …).
 */
export async function* streamFile(ep: AttachmentEndpoint, meta: AttachmentMeta, options: DownloadOptions = {}): AsyncGenerator<Uint8Array> {
  if (!meta.file) throw new TypeError('"attachment" expected an out-of-band attachment (with "file")')
  const total = fileCiphertextSize(meta.size)
  const opener = new FileOpener(fromBase64(meta.file.key), options.sym ? { sym: options.sym } : {})
  const hash = sha256Stream()
  let received = 0
  let plain = 0
  const take = (pieces: Uint8Array[]) => {
    for (const p of pieces) {
      plain += p.length
      if (plain > meta.size) throw new AttachmentCorruptError('the attachment is longer than its committed size', { reason: 'size_mismatch' })
      hash.update(p)
    }
    return pieces
  }
  for (let attempt = 1; received < total; attempt++) {
    try {
      const res = await ep.fetch(`${ep.base}/${meta.file.id}`, {
        headers: { Authorization: `Bearer ${await ep.token()}`, ...(received > 0 ? { Range: `bytes=${received}-` } : {}) },
      })
      if (res.status !== (received > 0 ? 206 : 200)) throw await httpError(res)
      // The length is known before a byte is read: a server cannot make the client read more.
      if (Number(res.headers.get('content-length')) !== total - received) {
        await res.body?.cancel()
        throw new AttachmentCorruptError('the stored attachment is not the size its message commits to', { reason: 'size_mismatch' })
      }
      const reader = res.body!.getReader()
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          received += value.length
          if (received > total) throw new AttachmentCorruptError('the server sent more than the attachment', { reason: 'size_mismatch' })
          for (const p of take(opener.push(value))) yield p
          options.onProgress?.({ bytes: received, total })
        }
      } finally {
        // A refused stream (or a reader that stopped early) releases its connection at once.
        await reader.cancel().catch(() => undefined)
      }
    } catch (e) {
      if (!isNetworkError(e) || attempt >= MAX_TRANSFER_ATTEMPTS) throw e
      await wait(100 * attempt)
    }
  }
  for (const p of take([opener.finish()])) if (p.length) yield p
  if (plain !== meta.size) throw new AttachmentCorruptError('the attachment is shorter than its committed size', { reason: 'size_mismatch' })
  if (toBase64(hash.digest()) !== meta.sha256) throw new AttachmentCorruptError('the attachment does not match the hash its message commits to', { reason: 'hash_mismatch' })
}

/**
 * The whole verified plaintext, in memory (use {@link streamFile} for large files).
 * @throws as {@link streamFile}; {@link RangeError} above `maxBytes`.
 */
export async function downloadFile(ep: AttachmentEndpoint, meta: AttachmentMeta, maxBytes: number, options: DownloadOptions = {}): Promise<Uint8Array> {
  if (meta.size > maxBytes) throw new RangeError(`"attachment.size" ${meta.size} exceeds ${maxBytes} bytes in memory: use client.attachments.stream()`)
  const out = new Uint8Array(meta.size)
  let off = 0
  for await (const p of streamFile(ep, meta, options)) (out.set(p, off), (off += p.length))
  return out
}
