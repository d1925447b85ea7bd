/**
 * A hostile network for HTTP tests: forwards requests to the real server and, when a hook
 * says so, cuts a request body or a response after a number of bytes (both sockets
 * destroyed), as a dropped connection would. Counts what it forwarded and cut, so a test can
 * show the cut reached the client (its control).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http'

export interface CutProxy {
  url: string
  /** Bytes after which to cut this request's body (PATCH) or response (GET); null: forward whole. */
  cutAfter: (req: IncomingMessage) => { request?: number; response?: number } | null
  /** Every request as `METHOD headers-of-interest`, in order. */
  seen: string[]
  cuts: number
  close(): Promise<void>
}

export async function startCutProxy(upstream: string): Promise<CutProxy> {
  const target = new URL(upstream)
  const proxy: CutProxy = { url: '', cutAfter: () => null, seen: [], cuts: 0, close: async () => {} }
  const server: Server = createServer((req, res) => {
    const plan = proxy.cutAfter(req)
    proxy.seen.push(`${req.method}${req.headers['upload-offset'] !== undefined ? ` offset=${req.headers['upload-offset']}` : ''}${req.headers.range ? ` ${req.headers.range}` : ''}`)
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers)
      let sent = 0
      ures.on('data', (chunk: Buffer) => {
        if (plan?.response !== undefined && sent + chunk.length > plan.response) {
          res.write(chunk.subarray(0, plan.response - sent))
          proxy.cuts++
          ures.destroy()
          res.socket?.destroy()
          return
        }
        sent += chunk.length
        res.write(chunk)
      })
      ures.on('end', () => res.end())
    })
    up.on('error', () => res.socket?.destroy())
    let forwarded = 0
    req.on('data', (chunk: Buffer) => {
      if (plan?.request !== undefined && forwarded + chunk.length > plan.request) {
        up.write(chunk.subarray(0, plan.request - forwarded))
        forwarded = plan.request
        proxy.cuts++
        req.socket.destroy()
        // Let the upstream take what arrived, then break it too.
        setImmediate(() => up.destroy())
        return
      }
      forwarded += chunk.length
      up.write(chunk)
    })
    req.on('end', () => up.end())
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  proxy.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  proxy.close = () => new Promise<void>((r) => {
    server.closeAllConnections()
    server.close(() => r())
  })
  return proxy
}
