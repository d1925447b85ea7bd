/**
 * Out-of-band attachments (issue 18, docs/attachments.md) in every policy, the same
 * behaviour, errors and controls in each: a large file goes out of band and round-trips with
 * progress beside an inline one; a non-member can neither upload to nor download from the
 * conversation; a hostile server that flips a byte, serves a cut stream or another file's
 * bytes is caught (`AttachmentCorruptError`, each with a control proving the bytes reached the
 * client); an upload and a download cut mid-way resume; a report carries the franked reference
 * and verifies; `hashMatch` blocks a known-bad file on
 * its committed hash and the refused upload is deleted; the conversation's timer sets the
 * blob's expiry and the purge deletes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AttachmentCorruptError, ForbiddenError, MessageBlockedError, ParleyError } from '@parley/protocol'
import { FILE_HEADER_BYTES, FILE_SEALED_CHUNK_BYTES } from '@parley/crypto'
import { ATTACHMENT_SEND_GRACE_MS } from '@parley/server'
import { UPLOAD_SEGMENT_BYTES, type Attachment } from '@parley/client'
import { attachmentsWorld, KNOWN_BAD, nth, POLICIES, random, sha256b64, type AttachmentsWorld } from './_attachments-world.js'
import { waitFor } from '../helpers/parley.js'

/** Byte equality without vitest's element-by-element diff (seconds per MiB). */
function expectSame(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length)
  expect(Buffer.compare(a, b)).toBe(0)
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (AttachmentCorruptError.isInstance(e)) return `${e.code}:${e.details.reason}`
    if (ParleyError.isInstance(e)) return e.code
    throw e
  }
  return 'ok'
}

describe.each(POLICIES)('attachments out of band (%s)', (policy) => {
  let w: AttachmentsWorld
  let file: Attachment
  let data: Uint8Array
  let seen = 0
  beforeAll(async () => {
    w = await attachmentsWorld(policy)
  })
  afterAll(() => w.close())

  it('a 1 MiB file goes out of band with progress, beside an inline one, and bob downloads it verified', async () => {
    data = random(1024 * 1024)
    const small = random(1000)
    const progress: number[] = []
    await w.ca.send({ text: 'the file', attachments: [{ name: 'big.bin', mime: 'application/octet-stream', data }, { name: 'small.bin', mime: 'application/octet-stream', data: small }], onProgress: (p) => progress.push(p.bytes / p.total) })
    expect(progress.at(-1)).toBe(1)
    const m = await nth(w, ++seen)
    expect(m.encryption).toBe(policy === 'default-e2ee' ? 'e2ee' : 'server-side')
    file = m.attachments[0]!
    expect(file).toMatchObject({ name: 'big.bin', size: data.length, sha256: sha256b64(data) })
    expect(file.file?.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(file.data.length).toBe(0)
    expect(m.attachments[1]).toMatchObject({ name: 'small.bin', size: 1000, sha256: sha256b64(small) })
    expect(m.attachments[1]!.file).toBeUndefined()
    expectSame(m.attachments[1]!.data, small)
    expectSame(await w.bob.attachments.download(file), data)
    // The sender's own copy names the same upload.
    const mine = (await w.ca.history({ limit: 1 })).messages.at(-1)!
    expect(mine.attachments[0]!.file).toEqual(file.file)
  })

  it('a report carries the file reference and verifies: the moderator can fetch and check the file', async () => {
    await w.cb.report({ reason: 'spam' })
    await waitFor(() => w.server.reports.length > 0, 10_000, 'the report')
    const entry = w.server.reports.at(-1)!.entries.find((e) => e.attachments.some((a) => a.file))!
    expect(entry.verified).toBe(true)
    expect(entry.attachments[0]).toEqual({ name: 'big.bin', mime: 'application/octet-stream', size: data.length, sha256: sha256b64(data), file: file.file })
  })

  it('a non-member can neither download it nor upload to the conversation', async () => {
    expect(await codeOf(w.carol.attachments.download(file))).toBe(ForbiddenError.code)
    expect(await codeOf(w.carol.attachments.upload(w.ca, { name: 'x', mime: 'text/plain', data: random(10) }))).toBe(ForbiddenError.code)
    // Control: the member still can.
    expectSame(await w.bob.attachments.download(file), data)
  })

  it('a flipped byte in a chunk is tampered; the control shows the flipped byte was served', async () => {
    w.hostile.flipAt = FILE_HEADER_BYTES + FILE_SEALED_CHUNK_BYTES * 3 + 100
    try {
      expect(await codeOf(w.bob.attachments.download(file))).toBe('attachment_corrupt:tampered')
    } finally {
      w.hostile.flipAt = null
    }
    expect(w.hostile.flipped).toBeGreaterThan(0)
  })

  it('a stream served one chunk short is refused before reading; the control shows the cut record was served', async () => {
    const before = w.hostile.truncated
    w.hostile.truncate = true
    try {
      expect(await codeOf(w.bob.attachments.download(file))).toBe('attachment_corrupt:size_mismatch')
    } finally {
      w.hostile.truncate = false
    }
    expect(w.hostile.truncated).toBeGreaterThan(before)
  })

  it("another file's bytes served under this id fail the key commitment", async () => {
    const other = await w.alice.attachments.upload(w.ca, { name: 'other', mime: 'application/octet-stream', data: random(data.length) })
    w.hostile.swap = { from: file.file!.id, to: other.file.id }
    try {
      expect(await codeOf(w.bob.attachments.download(file))).toBe('attachment_corrupt:key_commitment')
    } finally {
      w.hostile.swap = null
    }
    expect(w.hostile.swapped).toBe(1)
  })

  it('an upload cut mid-segment and a download cut mid-stream both resume', async () => {
    const big = random(3 * UPLOAD_SEGMENT_BYTES + 1000) // several upload segments
    let cutPatch = true
    let cutGet = true
    w.proxy.seen.length = 0
    w.proxy.cutAfter = (req) => {
      if (req.method === 'PATCH' && cutPatch) return (cutPatch = false), { request: UPLOAD_SEGMENT_BYTES / 2 }
      if (req.method === 'GET' && cutGet) return (cutGet = false), { response: 2 * 1024 * 1024 }
      return null
    }
    try {
      await w.ca.send({ text: 'resumed', attachments: [{ name: 'resumed.bin', mime: 'application/octet-stream', data: big }] })
      const m = await nth(w, ++seen)
      expectSame(await w.bob.attachments.download(m.attachments[0]!), big)
    } finally {
      w.proxy.cutAfter = () => null
    }
    // Controls: both cuts happened, the upload asked for the offset and resumed inside the
    // first segment, and the download asked for the rest with a Range.
    expect(w.proxy.cuts).toBe(2)
    expect(w.proxy.seen).toContain('HEAD')
    const resumedAt = w.proxy.seen.map((s) => /^PATCH offset=(\d+)$/.exec(s)?.[1]).filter(Boolean).map(Number)
    expect(resumedAt.some((o) => o > 0 && o < UPLOAD_SEGMENT_BYTES)).toBe(true)
    expect(w.proxy.seen.some((s) => /^GET bytes=\d+-$/.test(s))).toBe(true)
  })

  it('hashMatch blocks a known-bad file on its committed hash, and the refused upload is deleted', async () => {
    const created = w.hostile.created.length
    expect(await codeOf(w.ca.send({ text: 'bad', attachments: [{ name: 'bad.bin', mime: 'application/octet-stream', data: KNOWN_BAD }] }))).toBe(MessageBlockedError.code)
    const id = w.hostile.created[created]!
    expect(id).toBeDefined()
    expect(w.hostile.removed).toContain(id)
    expect(await w.server.parley.attachments()!.get(id)).toBeNull()
  })

  it("the conversation's disappearing timer sets the blob's expiry, and the purge deletes it", async () => {
    await w.ca.setDisappearing(60_000)
    const before = Date.now()
    const up = await w.alice.attachments.upload(w.ca, { name: 'brief', mime: 'text/plain', data: random(400 * 1024) })
    const store = w.server.parley.attachments()!
    const rec = (await store.get(up.file.id))!
    expect(rec.expiresAt).toBeGreaterThanOrEqual(before + 60_000 + ATTACHMENT_SEND_GRACE_MS)
    expect(rec.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000 + ATTACHMENT_SEND_GRACE_MS)
    expect(await store.purge(rec.expiresAt! - 1, 0)).toBe(0)
    expect(await store.purge(rec.expiresAt!, 0)).toBeGreaterThanOrEqual(1)
    expect(await store.get(up.file.id)).toBeNull()
    await w.ca.setDisappearing(null)
  })
})
