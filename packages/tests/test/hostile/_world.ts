/**
 * The hostile-server world shared by `hostile/row-*.test.ts`: a real Parley server, a tampering
 * proxy in front of it, honest `alice` connected directly and `bob` behind the proxy, with the
 * errors and messages bob's client surfaces collected. Also crafts readable frames a hostile
 * server could build (valid franking commitments over text of its choice).
 */
import { frankMessage } from '@parley/crypto'
import type { Policy } from '@parley/protocol'
import { memoryKeyStore, type Conversation, type ErrorPayload, type KeyStore, type Message, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

export const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

export interface HostileWorld {
  server: TestServer
  proxy: TamperProxy
  alice: ParleyClient
  bob: ParleyClient
  /** alice's key store (to sign records as her device in tests). */
  aliceStore: KeyStore
  /** alice's side and bob's side of their 1:1. */
  ca: Conversation
  cb: Conversation
  /** Every `'error'` bob's client emitted. */
  bobErrors: ErrorPayload[]
  /** Messages bob's side of the conversation showed as received. */
  bobGot: Message[]
  clients: ParleyClient[]
  close(): Promise<void>
}

export async function hostileWorld(policy: Policy): Promise<HostileWorld> {
  const server = await startServer({ policy })
  const proxy = await startTamperProxy(server.url)
  const aliceStore = memoryKeyStore()
  const alice = await connect(server.url, 'alice', { keyStore: aliceStore })
  const bob = await connect(proxy.url, 'bob')
  const clients = [alice, bob]
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  const bobErrors: ErrorPayload[] = []
  bob.on('error', (e) => bobErrors.push(e))
  const bobGot: Message[] = []
  cb.on('message', (m) => m.status === 'received' && bobGot.push(m))
  return {
    server, proxy, alice, bob, aliceStore, ca, cb, bobErrors, bobGot, clients,
    async close() {
      for (const c of clients.splice(0)) await c.close().catch(() => {})
      await proxy.close()
      await server.close()
    },
  }
}

/** A readable body and franking a hostile server can build for any text (the commitment opens). */
export function craftReadable(text: string, kid: string): { body: { text: string; attachments: []; nf: string }; franking: { tf: string; rf: string; kid: string } } {
  const { nf, tf } = frankMessage({ text, attachments: [] })
  return { body: { text, attachments: [], nf }, franking: { tf, rf: tf, kid } }
}

/** Turns a real `message` delivery into a readable one carrying `text` (same inbox id, seq, sender). */
export function asReadable(frame: any, text: string): any {
  const { envelope: _e, attachments: _a, body: _b, franking, ...rest } = frame
  return { ...rest, mode: 'server-side', ...craftReadable(text, franking.kid) }
}

/** Waits for `n` received messages on bob's side. */
export async function bobReceives(w: HostileWorld, n: number, what = `${n} messages`): Promise<void> {
  await waitFor(() => w.bobGot.length >= n, 10_000, what)
}

/** The codes of bob's error events. */
export const codes = (errors: ErrorPayload[]) => errors.map((e) => e.error.code)

/**
 * Opens alice's and bob's 1:1 and establishes the session both ways (alice's prekey message,
 * bob's reply, then a message on a chain bob knows), collecting what bob's side shows.
 */
export async function establishBothWays(alice: ParleyClient, bob: ParleyClient, lastText = 'on the established session'): Promise<{ ca: Conversation; cb: Conversation; errors: ErrorPayload[]; bobGot: Message[] }> {
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  const errors: ErrorPayload[] = []
  cb.on('error', (e) => errors.push(e))
  const bobGot: Message[] = []
  cb.on('message', (m) => m.status === 'received' && bobGot.push(m))
  const aliceGot: Message[] = []
  ca.on('message', (m) => m.status === 'received' && aliceGot.push(m))
  await ca.send({ text: 'hello bob' })
  await waitFor(() => bobGot.length === 1, 10_000, 'first message')
  await cb.send({ text: 'hello alice' })
  await waitFor(() => aliceGot.length === 1, 10_000, 'reply')
  await ca.send({ text: lastText })
  await waitFor(() => bobGot.length === 2, 10_000, 'second message')
  return { ca, cb, errors, bobGot }
}
