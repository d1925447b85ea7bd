/**
 * Fewer system calls for the same bytes: a group commit acks and delivers a whole batch in one
 * tick, and each of those frames would otherwise be its own `writev` on the connection's TCP
 * socket (~30 µs each on a loaded VM — as much as the rest of a send). While engine.io writes
 * to a WebSocket connection, the socket is corked until the end of the tick, so the frames of
 * one tick leave in one write. Frames, their order and their acks are unchanged; only how
 * many syscalls carry them. Polling connections are left alone.
 */

/** The parts of engine.io's transport and ws's socket this relies on, checked at run time. */
interface CorkableSocket { cork(): void; uncork(): void }
interface EngineTransport { name?: string; send(packets: unknown[]): void; socket?: { _socket?: Partial<CorkableSocket> } }
interface EngineConnection { transport?: EngineTransport; on(event: 'upgrade', fn: (t: EngineTransport) => void): unknown }

const patched = new WeakSet<EngineTransport>()
const watched = new WeakSet<object>()
const corked = new WeakSet<CorkableSocket>()

function uncork(socket: CorkableSocket): void {
  corked.delete(socket)
  socket.uncork()
}

function rawSocket(transport: EngineTransport): CorkableSocket | undefined {
  const s = transport.socket?._socket
  return s && typeof s.cork === 'function' && typeof s.uncork === 'function' ? (s as CorkableSocket) : undefined
}

function patch(transport: EngineTransport | undefined): void {
  if (!transport || transport.name !== 'websocket' || patched.has(transport) || typeof transport.send !== 'function') return
  patched.add(transport)
  const send = transport.send
  transport.send = function (this: EngineTransport, packets: unknown[]) {
    const socket = rawSocket(this)
    if (socket && !corked.has(socket)) {
      socket.cork()
      corked.add(socket)
      process.nextTick(uncork, socket)
    }
    return send.call(this, packets)
  }
}

/** Coalesces the writes of each tick on this engine.io connection, now and after a transport upgrade. */
export function coalesceWrites(conn: unknown): void {
  const c = conn as Partial<EngineConnection> | undefined
  if (!c || typeof c.on !== 'function' || watched.has(c)) return
  watched.add(c)
  patch(c.transport)
  c.on('upgrade', patch)
}
