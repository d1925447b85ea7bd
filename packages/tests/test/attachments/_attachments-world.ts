/**
 * The world of `attachments/*.test.ts` (docs/attachments.md): one real server per file with a
 * filesystem attachment store wrapped by a hostile switchboard (flip a byte of what it serves,
 * serve a shorter record, serve another attachment's bytes), a `hashMatch` plugin on the
 * server and on every client, an HTTP proxy that can cut uploads and downloads, and a 1:1
 * of alice and bob with carol outside it.
 */
import { createHash, randomBytes } from 'node:crypto'
import { hashMatch } from '@parley/moderation'
import type { Policy } from '@parley/protocol'
import { fileAttachmentStore, type AttachmentRecord, type AttachmentStore } from '@parley/server'
import { memoryKeyStore, type Conversation, type Message, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startCutProxy, type CutProxy } from '../helpers/http-cut-proxy.js'

export const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

/** Bytes the hash-match plugin knows as bad (its SHA-256 is on the list, in every mode). */
export const KNOWN_BAD = new Uint8Array(300 * 1024).fill(0xbd)
export const sha256b64 = (b: Uint8Array) => createHash('sha256').update(b).digest('base64')

/** What the hostile store does to what it serves, and what it did (the controls). */
export interface Hostile {
  /** Flip one byte at this offset of every attachment read. */
  flipAt: number | null
  /** Serve records one sealed chunk shorter than stored. */
  truncate: boolean
  /** Serve the bytes of attachment `to` for attachment `from`. */
  swap: { from: string; to: string } | null
  flipped: number
  truncated: number
  swapped: number
  created: string[]
  removed: string[]
}

function hostileStore(inner: AttachmentStore, h: Hostile): AttachmentStore {
  const shorten = (r: AttachmentRecord | null) => {
    if (!r || !h.truncate || r.offset !== r.size) return r
    h.truncated++
    const cut = Math.max(1, r.size - (64 * 1024 + 32))
    return { ...r, size: cut, offset: cut }
  }
  return {
    ...inner,
    create: async (r) => (h.created.push(r.id), inner.create(r)),
    get: async (id) => shorten(await inner.get(id)),
    remove: async (id) => (h.removed.push(id), inner.remove(id)),
    async *read(id, start) {
      const source = h.swap?.from === id ? (h.swapped++, h.swap.to) : id
      let pos = start
      const limit = h.truncate ? (await this.get(id))!.size : Infinity
      for await (const piece of inner.read(source, start)) {
        let out = piece.subarray(0, Math.max(0, limit - pos))
        if (h.flipAt !== null && h.flipAt >= pos && h.flipAt < pos + out.length) {
          out = Uint8Array.from(out)
          out[h.flipAt - pos]! ^= 0x01
          h.flipped++
        }
        pos += out.length
        if (out.length) yield out
        if (pos >= limit) return
      }
    },
  }
}

export interface AttachmentsWorld {
  server: TestServer
  hostile: Hostile
  proxy: CutProxy
  alice: ParleyClient
  bob: ParleyClient
  carol: ParleyClient
  ca: Conversation
  cb: Conversation
  /** What bob received, in order. */
  got: Message[]
  close(): Promise<void>
}

export async function attachmentsWorld(policy: Policy): Promise<AttachmentsWorld> {
  const hostile: Hostile = { flipAt: null, truncate: false, swap: null, flipped: 0, truncated: 0, swapped: 0, created: [], removed: [] }
  const plugin = () => hashMatch({ sha256: [sha256b64(KNOWN_BAD)] })
  const server = await startServer({ policy, plugins: [plugin()], attachments: { store: hostileStore(fileAttachmentStore(), hostile) } })
  const proxy = await startCutProxy(server.url)
  const via = { attachmentsUrl: `${proxy.url}/parley/attachments` }
  const clients: ParleyClient[] = []
  const join = async (userId: string) => {
    const c = await connect(server.url, userId, { keyStore: memoryKeyStore(), plugins: [plugin()], ...via })
    clients.push(c)
    return c
  }
  const [alice, bob, carol] = await Promise.all([join('alice'), join('bob'), join('carol')])
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  const got: Message[] = []
  cb.on('message', (m) => m.status === 'received' && got.push(m))
  return {
    server, hostile, proxy, alice, bob, carol, ca, cb, got,
    async close() {
      for (const c of clients) await c.close().catch(() => {})
      await proxy.close()
      await server.close()
    },
  }
}

/** Waits for bob's `n`-th received message. */
export async function nth(w: AttachmentsWorld, n: number): Promise<Message> {
  await waitFor(() => w.got.length >= n, 20_000, `bob's message ${n}`)
  return w.got[n - 1]!
}

export const random = (n: number) => new Uint8Array(randomBytes(n))
