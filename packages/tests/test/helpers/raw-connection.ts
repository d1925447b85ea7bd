/**
 * A raw socket.io connection for tests that play a device by hand: no reconnection, and a record
 * of the `goodbye`s and disconnect reasons it got, so a test can assert what the server told it.
 */
import { io as ioClient, type Socket } from 'socket.io-client'
import type { Goodbye, WireError } from '@parley/protocol'

export interface RawConnection { socket: Socket; goodbyes: Goodbye[]; disconnects: string[] }

/**
 * Opens a connection with `token`, adding its socket to `sockets` (the test closes them);
 * rejects with the handshake's wire error when the server refuses it.
 */
export function openRawConnection(url: string, token: string, sockets: Socket[]): Promise<RawConnection> {
  const socket = ioClient(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true })
  sockets.push(socket)
  const raw: RawConnection = { socket, goodbyes: [], disconnects: [] }
  socket.on('goodbye', (g: Goodbye) => void raw.goodbyes.push(g))
  socket.on('disconnect', (reason) => void raw.disconnects.push(reason))
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(raw))
    socket.once('connect_error', (e: Error & { data?: WireError }) => reject(e.data ?? e))
  })
}
