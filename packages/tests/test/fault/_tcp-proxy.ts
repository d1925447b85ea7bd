/**
 * A TCP proxy on loopback standing in for a load balancer and for a flaky network: each new
 * connection goes to the next backend that accepts it (round robin, skipping dead ones), and
 * `cutAll()` destroys every open connection at once (both sides see a reset), as a dropped
 * Wi-Fi link or a restarted balancer would.
 */
import { connect, createServer, type Socket } from 'node:net'

export interface TcpProxy {
  url: string
  port: number
  /** Connections destroyed by `cutAll()` so far (the control that cuts really happened). */
  readonly cuts: number
  /** Open client connections now. */
  readonly open: number
  cutAll(): number
  close(): Promise<void>
}

/** Starts a proxy on a free loopback port in front of `backends` (ports on 127.0.0.1). */
export async function startTcpProxy(backends: () => number[]): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream?: Socket }>()
  let next = 0
  let cuts = 0
  const server = createServer((client) => {
    const pair: { client: Socket; upstream?: Socket } = { client }
    pairs.add(pair)
    client.on('error', () => undefined)
    client.on('close', () => {
      pairs.delete(pair)
      pair.upstream?.destroy()
    })
    client.pause()
    const ports = backends()
    const tryBackend = (left: number) => {
      if (left === 0 || client.destroyed) return void client.destroy()
      const port = ports[next++ % ports.length]!
      const up = connect(port, '127.0.0.1')
      up.once('error', () => {
        up.destroy()
        if (!pair.upstream) tryBackend(left - 1)
        else client.destroy()
      })
      up.once('connect', () => {
        pair.upstream = up
        up.on('error', () => client.destroy())
        up.on('close', () => client.destroy())
        client.pipe(up)
        up.pipe(client)
        client.resume()
      })
    }
    tryBackend(ports.length)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get cuts() {
      return cuts
    },
    get open() {
      return pairs.size
    },
    cutAll() {
      const n = pairs.size
      for (const p of pairs) {
        p.client.resetAndDestroy()
        p.upstream?.resetAndDestroy()
      }
      cuts += n
      return n
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy()
        p.upstream?.destroy()
      }
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
