import { createServer } from 'node:http'
import type { AddressInfo, Socket as NetSocket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { Server } from 'socket.io'
import { io as ioClient, type Socket } from 'socket.io-client'
import { coalesceWrites } from '../src/write-coalescing.js'

const FRAMES = 50

/** A socket.io server whose connection emits FRAMES events in one tick; counts the TCP writes they took. */
async function burst(coalesce: boolean, transports: ('websocket' | 'polling')[]) {
  const http = createServer()
  const io = new Server(http)
  let writes = 0
  let counting = true
  io.on('connection', (socket) => {
    if (coalesce) coalesceWrites(socket.conn)
    socket.on('go', () => {
      const raw = (socket.conn as unknown as { transport: { socket?: { _socket?: NetSocket } } }).transport.socket?._socket
      if (raw) {
        const count = <T extends (...a: never[]) => unknown>(f: T) => function (this: unknown, ...a: Parameters<T>) {
          if (counting) writes++
          return f.apply(this, a)
        }
        raw._writev = count(raw._writev!) as never
        raw._write = count(raw._write) as never
      }
      for (let i = 0; i < FRAMES; i++) socket.emit('n', i)
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const client: Socket = ioClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { transports, forceNew: true, reconnection: false })
  const got: number[] = []
  const all = new Promise<void>((resolve) => client.on('n', (i: number) => void (got.push(i) === FRAMES && resolve())))
  await new Promise<void>((r) => client.once('connect', () => r()))
  client.emit('go')
  await all
  counting = false // the close frame is not part of the burst
  client.close()
  await new Promise<void>((r) => io.close(() => r()))
  return { writes, got }
}

describe('coalesceWrites', () => {
  it('sends the frames of one tick in one or two TCP writes, all of them, in order', async () => {
    const plain = await burst(false, ['websocket'])
    const coalesced = await burst(true, ['websocket'])
    expect(coalesced.got).toEqual(Array.from({ length: FRAMES }, (_, i) => i))
    expect(plain.got).toEqual(coalesced.got)
    expect(plain.writes).toBeGreaterThan(FRAMES / 2) // without it: about one write a frame
    expect(coalesced.writes).toBeLessThanOrEqual(2) // the first frame, then everything engine.io queued behind it
  })

  it('leaves a polling connection working', async () => {
    const polled = await burst(true, ['polling'])
    expect(polled.got).toEqual(Array.from({ length: FRAMES }, (_, i) => i))
  })
})
