/**
 * Raw socket.io clients over loopback for tests: connect with a token, call an event and get
 * its ack, collect server events, and a one-call "connected, hello'd, registered device".
 */
import { io as ioClient, type Socket } from 'socket.io-client'
import {
  errorFromWire, type AckResponse, type ClientAckData, type ClientEventName, type ClientFrame, type Delivery, type Notice,
  type ServerEventName, type ServerFrame, type WireError,
} from '@parley/protocol'
import { signHelloProof } from '@parley/crypto'
import { registerFrame, type TestUser } from './device.js'

/** How long a test waits for an ack or an event, ms. */
export const TEST_WAIT_MS = 10_000

export type RawSocket = Socket

/** Connects with `auth: { token }`. Resolves on connect; rejects with the connect_error data. */
export function connect(url: string, token: string | undefined, extra: Record<string, unknown> = {}): Promise<RawSocket> {
  const socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: token === undefined ? {} : { token }, ...extra })
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket))
    socket.once('connect_error', (e: Error & { data?: WireError }) => {
      socket.close()
      reject(Object.assign(new Error(e.message), { data: e.data }))
    })
  })
}

/** Emits `event` and resolves with the raw ack (`{ ok, data | error }`). */
export function call<E extends ClientEventName>(socket: RawSocket, event: E, frame: ClientFrame<E> | unknown): Promise<AckResponse<ClientAckData<E>>> {
  return socket.timeout(TEST_WAIT_MS).emitWithAck(event, frame) as Promise<AckResponse<ClientAckData<E>>>
}

/** Emits `event`; resolves with ack data or throws the typed error the server sent. */
export async function ok<E extends ClientEventName>(socket: RawSocket, event: E, frame: ClientFrame<E> | unknown): Promise<ClientAckData<E>> {
  const r = await call(socket, event, frame)
  if (!r.ok) throw errorFromWire(r.error)
  return r.data
}

/** The error code of a failed ack (throws when the ack succeeded). */
export async function errorCode(socket: RawSocket, event: ClientEventName | string, frame: unknown): Promise<string> {
  const r = await call(socket, event as ClientEventName, frame)
  if (r.ok) throw new Error(`expected "${event}" to fail, got ${JSON.stringify(r.data).slice(0, 200)}`)
  return r.error.code
}

/** Collects every event of one name a socket receives. */
export class Collector<E extends ServerEventName> {
  readonly items: ServerFrame<E>[] = []
  private waiters: (() => void)[] = []
  constructor(socket: RawSocket, event: E) {
    socket.on(event as string, (frame: ServerFrame<E>) => {
      this.items.push(frame)
      for (const w of this.waiters.splice(0)) w()
    })
  }
  /** Waits until `pred` holds over the collected items. */
  async until(pred: (items: ServerFrame<E>[]) => boolean, ms = TEST_WAIT_MS): Promise<ServerFrame<E>[]> {
    const deadline = Date.now() + ms
    while (!pred(this.items)) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out waiting; have ${this.items.length} items`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200))
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    return this.items
  }
  /** Waits for at least `n` items. */
  count(n: number, ms?: number): Promise<ServerFrame<E>[]> {
    return this.until((i) => i.length >= n, ms)
  }
}

/** A connected, hello'd and registered device with its event collectors. */
export interface TestDevice {
  socket: RawSocket
  userId: string
  deviceId: string
  messages: Collector<'message'>
  notices: Collector<'notice'>
  modes: Collector<'mode'>
  hello: ClientAckData<'hello'>
  close(): void
}

/** Unique message ids of deliveries (client-side dedup). */
export function uniqueMessages(items: Delivery[]): Delivery[] {
  const seen = new Map<string, Delivery>()
  for (const d of items) if (!seen.has(d.messageId)) seen.set(d.messageId, d)
  return [...seen.values()]
}

/**
 * Connects device `index` of `user` (token = user id), says hello and registers it when the
 * server does not know it yet.
 */
export async function connectDevice(url: string, user: TestUser, index = 0, opts: { register?: boolean; oneTime?: number; kemOneTime?: number } = {}): Promise<TestDevice> {
  const socket = await connect(url, user.userId)
  const device = user.devices[index]!
  const messages = new Collector(socket, 'message')
  const notices = new Collector(socket, 'notice')
  const modes = new Collector(socket, 'mode')
  // A registered device proves its signing key over this connection's challenge (ignored for a new one).
  const { nonce } = await ok(socket, 'hello.challenge', {})
  const proof = { nonce, signature: signHelloProof(device, { nonce, userId: user.userId, deviceId: device.deviceId }) }
  const hello = await ok(socket, 'hello', { versions: [2], deviceId: device.deviceId, proof })
  if (!hello.registered && opts.register !== false) {
    await ok(socket, 'device.register', registerFrame(user, index, { oneTime: opts.oneTime, kemOneTime: opts.kemOneTime }))
  }
  return { socket, userId: user.userId, deviceId: device.deviceId, messages, notices, modes, hello, close: () => void socket.close() }
}

export type { Notice }
