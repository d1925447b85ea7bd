/**
 * The web chat server: one `node:http` server that serves the browser UI, the operator console
 * (behind the operator sign-in: its page, its JSON API over `parley.moderation` and its event
 * stream) and a little JSON, with `@parley/server` mounted on the same port (socket.io under
 * `/socket.io/`), storing everything in the embedded PGlite store.
 */
import { mkdir } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { createParleyServer, fileAttachmentStore, parleyParser, pgliteStore, type ParleyIo } from '@parley/server'
import { MAX_FRAME_BYTES, type VerifiedReport } from '@parley/protocol'
import type { ServerInfo } from './api.js'
import { AuditTail } from './audit-tail.js'
import { bundleUi, type UiBundle } from './bundle.js'
import { demoCanMessage } from './contacts.js'
import { demoAuthenticate, DEMO_USERS } from './demo-auth.js'
import { DEMO_BLOCKED_WORD, demoPlugins } from './moderation.js'
import { generateOperatorToken, OperatorSessions, sessionCookie } from './operator-auth.js'
import { sameOrigin } from './operator-origin.js'
import { handleOperatorApi, OPERATOR_API_PREFIX, type OperatorApiDeps } from './operator-api.js'
import { OperatorEvents } from './operator-events.js'
import { renderLoginPage, renderOperatorPage } from './operator-page.js'
import type { WebChatOptions } from './options.js'
import { loadServerKeys } from './server-keys.js'
import { resetIdentityRoute } from './reset-identity-route.js'

/** A running web chat. */
export interface WebChat {
  /** `http://localhost:<port>` */
  url: string
  port: number
  /** The operator page's token (the one given, or the one generated). */
  operatorToken: string
  /** True when the token was generated (so the caller prints it). */
  operatorTokenGenerated: boolean
  /** Stops accepting connections, closes Parley (and its store). Idempotent. */
  close(): Promise<void>
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

function indexHtml(): string {
  return `<!doctype html>
<html lang="en"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Parley web chat</title>
<link rel="stylesheet" href="/app.css">
</head><body><div id="app"></div><script type="module" src="/app.js"></script></body></html>`
}

/** Largest login form body read, bytes. */
export const MAX_FORM_BYTES = 4_096

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers })
  res.end(body)
}

function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...headers })
  res.end()
}

/**
 * A request target as a URL, or `null` when it does not parse (`//[`, which `new URL`
 * rejects): such a request gets a 400, never an exception.
 */
export function requestTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://localhost')
  } catch {
    return null
  }
}

/** The last resort of the request handler: a 500 if nothing was sent yet, else drop the connection. */
function answerFailure(res: ServerResponse, error: unknown, log: (line: string) => void): void {
  log(`request failed: ${error instanceof Error ? error.name : typeof error}`)
  if (res.headersSent) {
    res.destroy()
    return
  }
  try {
    send(res, 500, 'text/plain', 'internal error')
  } catch {
    res.destroy()
  }
}

/** Reads a small urlencoded form; `null` when it is too large. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_FORM_BYTES) return null
    chunks.push(chunk as Buffer)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

/**
 * Starts the web chat: loads (or creates) the server keys and the PGlite store in
 * `options.dataDir`, bundles the UI, listens on `options.port`.
 * @throws when the port is taken, the data directory is unusable or the UI fails to bundle.
 */
export async function startWebChat(options: WebChatOptions, log: (line: string) => void = () => {}): Promise<WebChat> {
  await mkdir(options.dataDir, { recursive: true })
  const [keys, ui] = await Promise.all([loadServerKeys(options.dataDir), bundleUi()])
  const info: ServerInfo = {
    policy: options.policy,
    instanceId: keys.instanceId,
    demoUsers: [...DEMO_USERS],
    blockedWord: DEMO_BLOCKED_WORD,
  }
  const html = indexHtml()
  const operatorToken = options.operatorToken ?? generateOperatorToken()
  const operators = new OperatorSessions(operatorToken)

  const events = new OperatorEvents((id) => operators.live(id))
  const authRequired = { error: { code: 'operator_auth_required', message: 'operator sign-in required' } }

  const operatorPost = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (path === '/operator/logout') {
      // Only a live session signs out (another site cannot clear the cookie: it fails the origin check first).
      const ended = operators.logout(req.headers.cookie)
      if (ended === null) return redirect(res, '/operator/login')
      events.endSession(ended)
      return redirect(res, '/operator/login', { 'set-cookie': sessionCookie('', 0) })
    }
    const form = await readForm(req)
    if (!form) return send(res, 413, 'text/plain', 'form too large')
    const session = operators.login(form.get('token'), req.socket.remoteAddress ?? 'unknown')
    if (session === 'throttled') return send(res, 429, 'text/html', renderLoginPage('Too many wrong tokens from this address: wait a little.'))
    if (session === null) return send(res, 401, 'text/html', renderLoginPage('That is not the operator token.'))
    return redirect(res, '/operator', { 'set-cookie': sessionCookie(session) })
  }

  // Set once Parley exists (below); the API is only reachable after `listen`.
  let api: OperatorApiDeps | undefined
  const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json', JSON.stringify(body))

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = requestTarget(req.url)
    if (target === null) return send(res, 400, 'text/plain', 'bad request')
    const path = target.pathname
    const isOperator = path === '/operator' || path.startsWith('/operator/')
    // Every operator request that changes state must come from the console's own pages (CSRF).
    if (isOperator && req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req.headers)) {
      return path.startsWith(OPERATOR_API_PREFIX)
        ? json(res, 403, { error: { code: 'cross_origin_refused', message: 'operator requests must come from the console itself' } })
        : send(res, 403, 'text/plain', 'cross-origin request refused')
    }
    if (req.method === 'POST' && (path === '/operator/login' || path === '/operator/logout')) {
      return operatorPost(req, res, path)
    }
    const session = isOperator ? operators.session(req.headers.cookie) : null
    const operator = session !== null
    if (path.startsWith(OPERATOR_API_PREFIX)) {
      if (!operator || !api) return json(res, 401, authRequired)
      const [status, body] = await handleOperatorApi(api, req, path, target.searchParams)
      return json(res, status, body)
    }
    if (req.method === 'POST' && path === '/api/reset-identity') {
      const [status, body] = await resetIdentityRoute(parley, req, target.searchParams)
      return json(res, status, body)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed')
    switch (path) {
      case '/app.js':
        return send(res, 200, 'text/javascript', (ui as UiBundle).js)
      case '/app.css':
        return send(res, 200, 'text/css', ui.css)
      case '/api/info':
        return send(res, 200, 'application/json', JSON.stringify(info))
      case '/operator':
        if (!operator) return redirect(res, '/operator/login')
        return send(res, 200, 'text/html', renderOperatorPage(options.policy))
      case '/operator/console.js':
        if (!operator) return send(res, 401, 'text/plain', 'operator sign-in required')
        return send(res, 200, 'text/javascript', ui.consoleJs)
      case '/operator/console.css':
        if (!operator) return send(res, 401, 'text/plain', 'operator sign-in required')
        return send(res, 200, 'text/css', ui.consoleCss)
      case '/operator/events':
        if (!operator) return json(res, 401, authRequired)
        return events.subscribe(res, SECURITY_HEADERS, { id: session, expiresAt: operators.expiresAt(session)! })
      case '/operator/login':
        return operator ? redirect(res, '/operator') : send(res, 200, 'text/html', renderLoginPage())
      case '/favicon.ico':
        res.writeHead(204, SECURITY_HEADERS).end()
        return
      default:
        return send(res, 200, 'text/html', html)
    }
  }
  // One guard around every route: whatever a request does, it gets an answer and the server lives on.
  const httpServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((e: unknown) => answerFailure(res, e, log))
  })

  // We create socket.io ourselves (rather than passing `httpServer`) so shutdown can end the
  // HTTP connections browsers keep open, which would otherwise hold `httpServer.close()`.
  const io: ParleyIo = new Server(httpServer, { maxHttpBufferSize: MAX_FRAME_BYTES, parser: parleyParser })
  const parley = createParleyServer({
    io,
    policy: options.policy,
    authenticate: (handshake) => demoAuthenticate(handshake),
    store: pgliteStore({ dataDir: options.dataDir + '/pglite' }),
    // Files sent from the composer (sealed on the device; the server stores opaque bytes).
    attachments: { store: fileAttachmentStore({ dir: options.dataDir + '/attachments' }) },
    plugins: demoPlugins(),
    canMessage: demoCanMessage,
    frankingKeys: keys.frankingKeys,
    dataKeys: keys.dataKeys,
    onReport: async (report: VerifiedReport) => {
      events.publish({ kind: 'report', id: report.reportId })
      log(`report ${report.reportId} from ${report.reporter.userId}: ${report.transcript.verified ? 'verified' : 'NOT verified'}`)
    },
    onFlag: (flag) => log(`flag from ${flag.plugin}: ${flag.reason}`),
    onError: (error, context) => log(`error in ${context.where}${context.event ? ` (${context.event})` : ''}: ${String(error)}`),
  })

  try {
    await parley.ready
  } catch (e) {
    events.close()
    await parley.close().catch(() => {})
    throw e
  }
  api = {
    moderation: parley.moderation,
    getReport: (u, id) => parley.getReport(u, id),
    publish: (e) => events.publish(e),
    audit: new AuditTail(parley.moderation),
  }
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject)
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject)
      resolve()
    })
  })
  const port = (httpServer.address() as AddressInfo).port

  let closing: Promise<void> | undefined
  return {
    url: `http://localhost:${port}`,
    port,
    operatorToken,
    operatorTokenGenerated: options.operatorToken === undefined,
    close() {
      closing ??= (async () => {
        // Console streams first (they would hold the HTTP server open), then Parley: drains
        // in-flight frames, disconnects every socket, closes the store.
        events.close()
        await parley.close()
        await new Promise<void>((resolve) => {
          io.close(() => resolve())
          httpServer.closeAllConnections()
        })
      })()
      return closing
    },
  }
}
