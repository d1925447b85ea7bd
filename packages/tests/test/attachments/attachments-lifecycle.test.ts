/**
 * Thumbnails and the life of an attachment (issue 18, docs/attachments.md, decision 0027), one
 * suite over the three policies. Alice talks to bob, whose socket runs through a tampering
 * proxy; the server keeps files in its store's own attachment store (`attachments.store:
 * store.attachments`).
 * - A thumbnail travels sealed inside the message: bob opens it before anything is downloaded.
 * - A server swapping the thumbnail of a readable message (it holds the file key, so it can
 *   seal any preview) breaks the franking: `bad_franking`, nothing shown. Control: the swap
 *   reached bob. In E2EE the server sees neither the thumbnail nor the sealed bytes in any
 *   frame (sentinel). Control: the deliveries passed the proxy.
 * - Delete for everyone (and a moderator's removal) deletes the file once no other message
 *   names it (control: a file named by two messages survives the first deletion); a
 *   disappearing timer gives the file the message's expiry, and the purge deletes it then.
 * The suite runs on the memory store in every policy, and once more in `default-e2ee` on PGlite
 * (the SQL attachment store behind the same routes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_THUMBNAIL_BYTES, NotFoundError, ParleyError, type Policy } from '@parley/protocol'
import { sealThumbnail } from '@parley/crypto'
import { memoryStore, pgliteStore, type AttachmentStore } from '@parley/server'
import { PGlite } from '@electric-sql/pglite'
import { memoryKeyStore, type Conversation, type ErrorPayload, type Message, type ParleyClient } from '@parley/client'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'
import { POLICIES, random } from './_attachments-world.js'

/** The app's preview (Parley never decodes it): a recognisable sentinel. */
const THUMB = new Uint8Array(3000).map((_, i) => (i % 2 ? 0x5a : 0xa5))
const FILE_BYTES = 300 * 1024 // above the inline limit: out of band

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    if (ParleyError.isInstance(e)) return e.code
    throw e
  }
  return 'ok'
}

const RUNS: [Policy, 'memory' | 'pglite'][] = [...POLICIES.map((p) => [p, 'memory'] as [Policy, 'memory']), ['default-e2ee', 'pglite']]

describe.each(RUNS)('attachment thumbnails and lifetime (%s, %s store)', (policy: Policy, backend) => {
  let server: TestServer
  let proxy: TamperProxy
  let store: AttachmentStore
  let alice: ParleyClient
  let bob: ParleyClient
  let ca: Conversation
  let cb: Conversation
  const got: Message[] = []
  const errors: ErrorPayload[] = []
  /** Every frame between bob and the server, as JSON (the sentinel scan). */
  const frames: string[] = []
  let reads = 0
  let creates = 0

  beforeAll(async () => {
    const db = backend === 'memory' ? memoryStore() : await pgliteStore({ pglite: await PGlite.create() })
    const inner = db.attachments
    store = { ...inner, read: (id, start) => (reads++, inner.read(id, start)), create: (r) => (creates++, inner.create(r)) }
    server = await startServer({ policy, store: db, attachments: { store } })
    proxy = await startTamperProxy(server.url)
    const via = { attachmentsUrl: `${server.url}/parley/attachments` }
    alice = await connect(server.url, 'alice', { keyStore: memoryKeyStore() })
    bob = await connect(proxy.url, 'bob', { keyStore: memoryKeyStore(), ...via })
    bob.on('error', (e) => errors.push(e))
    ca = await alice.conversations.open('bob')
    cb = await bob.conversations.open('alice')
    cb.on('message', (m) => m.status === 'received' && got.push(m))
    proxy.hooks.request = (event, request) => (frames.push(JSON.stringify([event, request])), request)
  })
  afterAll(() => closeAll({ clients: [alice, bob], proxy, server }))

  const next = async (n: number, what: string) => {
    await waitFor(() => got.length >= n, 20_000, what)
    return got[n - 1]!
  }

  it('a thumbnail arrives sealed inside the message and opens before the file is downloaded', async () => {
    proxy.hooks.serverFrame = (event, frame) => (frames.push(JSON.stringify([event, frame])), [frame])
    await ca.send({ text: 'look', attachments: [{ name: 'photo.jpg', mime: 'image/jpeg', data: random(FILE_BYTES), thumbnail: THUMB }] })
    const m = await next(1, 'the message with a thumbnail')
    const a = m.attachments[0]!
    expect(a.file?.thumbnail).toBeDefined()
    expect(reads).toBe(0) // nothing was downloaded
    expect(Buffer.compare(bob.attachments.thumbnail(a)!, THUMB)).toBe(0)
    expect((await bob.attachments.download(a)).length).toBe(FILE_BYTES)
    const sentinel = Buffer.from(THUMB.subarray(0, 48)).toString('base64')
    const delivered = frames.filter((f) => f.startsWith('["message"'))
    expect(delivered.length).toBeGreaterThan(0) // control: the delivery passed the proxy
    if (m.encryption === 'e2ee') {
      // The server never sees the preview nor its sealed bytes: only ciphertext passes.
      for (const f of frames) expect(f.includes(sentinel) || f.includes(a.file!.thumbnail!.slice(8, 64))).toBe(false)
    } else {
      expect(delivered.some((f) => f.includes(a.file!.thumbnail!.slice(8, 64)))).toBe(true) // readable: the server sees the sealed preview (and the key)
    }
    proxy.hooks.serverFrame = undefined
    // A report carries the sealed preview and verifies: the franking commits to it.
    await cb.report({ reason: 'spam' })
    await waitFor(() => server.reports.length > 0, 10_000, 'the report')
    const entry = server.reports.at(-1)!.entries.find((e) => e.attachments.some((x) => x.file?.thumbnail))!
    expect(entry.verified).toBe(true)
    expect(entry.attachments[0]!.file).toEqual(a.file)
  })

  it('a thumbnail swapped by the server breaks the franking of a readable message; in E2EE there is none to swap', async () => {
    let swapped = 0
    let bodies = 0
    proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' || frame.kind !== 'message' || frame.sender?.userId !== 'alice') return [frame]
      const file = frame.body?.attachments?.[0]?.file
      if (frame.body) bodies++
      if (!file?.thumbnail) return [frame]
      swapped++
      // The server holds the key of a readable message: it seals a preview of its choice.
      const forged = { ...file, thumbnail: sealThumbnail(file.key, new Uint8Array(100).fill(0x66)) }
      return [{ ...frame, body: { ...frame.body, attachments: [{ ...frame.body.attachments[0], file: forged }] } }]
    }
    const before = got.length
    try {
      await ca.send({ text: 'swap me', attachments: [{ name: 'p.jpg', mime: 'image/jpeg', data: random(FILE_BYTES), thumbnail: THUMB }] })
      if (cb.encryption === 'e2ee') {
        const m = await next(before + 1, 'the e2ee message')
        expect(bodies).toBe(0) // nothing readable passed: no thumbnail to swap
        expect(Buffer.compare(bob.attachments.thumbnail(m.attachments[0]!)!, THUMB)).toBe(0)
        return
      }
      await waitFor(() => errors.some((e) => e.error.code === 'bad_franking'), 10_000, 'the swap refused')
      expect(swapped).toBe(1) // control: the forged preview reached bob
      expect(got.map((m) => m.text)).not.toContain('swap me')
    } finally {
      proxy.hooks.serverFrame = undefined
    }
    await ca.send({ text: 'untouched', attachments: [{ name: 'q.jpg', mime: 'image/jpeg', data: random(FILE_BYTES), thumbnail: THUMB }] })
    await waitFor(() => got.some((m) => m.text === 'untouched'), 10_000, 'the untouched message') // control
  })

  it('a thumbnail above MAX_THUMBNAIL_BYTES is refused before anything is uploaded', async () => {
    const before = creates
    const big = { name: 'p.jpg', mime: 'image/jpeg', data: random(FILE_BYTES), thumbnail: new Uint8Array(MAX_THUMBNAIL_BYTES + 1) }
    await expect(ca.send({ text: 'too big', attachments: [big] })).rejects.toThrow(RangeError)
    await expect(alice.attachments.upload(ca, big)).rejects.toThrow(RangeError)
    expect(creates).toBe(before)
    await alice.attachments.upload(ca, { ...big, thumbnail: THUMB }) // control: a fitting one uploads
    expect(creates).toBe(before + 1)
  })

  it('delete for everyone deletes the file once no other message names it', async () => {
    const up = await alice.attachments.upload(ca, { name: 'shared.bin', mime: 'application/octet-stream', data: random(FILE_BYTES) })
    const first = await ca.send({ text: 'first', attachments: [up] })
    const second = await ca.send({ text: 'second', attachments: [up] })
    const sent = await ca.send({ text: 'only', attachments: [{ name: 'only.bin', mime: 'application/octet-stream', data: random(FILE_BYTES) }] })
    await waitFor(() => got.some((m) => m.text === 'only'), 10_000, 'the three messages')
    const only = got.find((m) => m.text === 'only')!.attachments[0]!
    expect((await store.get(only.file!.id))?.expiresAt).toBeNull() // linked: lives as long as its message (no timer)

    // deleteForEveryone resolves once the server acked `message.delete` (files released by then).
    await ca.deleteForEveryone(sent.messageId)
    expect(await store.get(only.file!.id)).toBeNull()
    expect(await codeOf(bob.attachments.download(only))).toBe(NotFoundError.code)

    await ca.deleteForEveryone(first.messageId)
    expect(await store.get(up.file.id)).not.toBeNull() // control: the second message still names it
    const shared = got.find((m) => m.text === 'second')!.attachments[0]!
    expect((await bob.attachments.download(shared)).length).toBe(FILE_BYTES)
    await ca.deleteForEveryone(second.messageId)
    expect(await store.get(up.file.id)).toBeNull()
  })

  it("a moderator's removal deletes the message's file too", async () => {
    const sent = await ca.send({ text: 'removed', attachments: [{ name: 'r.bin', mime: 'application/octet-stream', data: random(FILE_BYTES) }] })
    await waitFor(() => got.some((m) => m.text === 'removed'), 10_000, 'the message to remove')
    const id = got.find((m) => m.text === 'removed')!.attachments[0]!.file!.id
    expect(await store.get(id)).not.toBeNull() // control: there before the removal
    await server.parley.moderation.removeMessage(ca.id, sent.messageId, { reason: 'spam' })
    expect(await store.get(id)).toBeNull()
  })

  it('a disappearing timer gives the file its message\'s expiry, and the purge deletes it then', async () => {
    await ca.setDisappearing(60_000)
    try {
      const before = Date.now()
      await ca.send({ text: 'brief', attachments: [{ name: 'brief.bin', mime: 'application/octet-stream', data: random(FILE_BYTES) }] })
      await waitFor(() => got.some((m) => m.text === 'brief'), 10_000, 'the timed message')
      const a = got.find((m) => m.text === 'brief')!.attachments[0]!
      const rec = (await store.get(a.file!.id))!
      // The message's own expiry, not the upload's grace (timer + ATTACHMENT_SEND_GRACE_MS).
      expect(rec.expiresAt).toBeGreaterThanOrEqual(before + 60_000)
      expect(rec.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
      expect(await store.purge(rec.expiresAt! - 1, 0)).toBe(0)
      expect(await store.purge(rec.expiresAt!, 0)).toBeGreaterThanOrEqual(1)
      expect(await store.get(a.file!.id)).toBeNull()
    } finally {
      await ca.setDisappearing(null)
    }
  })
})
