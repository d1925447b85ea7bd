/**
 * A local Web Push endpoint for tests (docs/push.md): an HTTP server on loopback standing in for
 * a push service, subscriptions with real RFC 8291 keys, and an independent decryption of what
 * arrives (aes128gcm, RFC 8188 + RFC 8291, written here from the RFCs with `node:crypto`, not
 * with the library that encrypted it) plus a check of the VAPID token (RFC 8292).
 *
 * The sender speaks https; `agent` routes its requests to this plain HTTP server on loopback
 * (the TLS layer is Node's, not what is tested), so endpoints stay `https://127.0.0.1:<port>/…`.
 * Reusable by end-to-end tests in other packages.
 */
import { createECDH, createDecipheriv, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { Agent } from 'node:https'
import { connect, type Socket } from 'node:net'

const b64url = (b: Buffer) => b.toString('base64url')

/** A push subscription a browser would make: its keys, and the decryption of what is pushed to it. */
export interface TestSubscription {
  endpoint: string
  keys: { p256dh: string; auth: string }
  /** Decrypts one aes128gcm push body to the subscription. @throws on any tampering or a wrong key. */
  decrypt(body: Buffer): string
}

/** One request the endpoint received. */
export interface ReceivedPush {
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/** VAPID keys of a test application server (base64url, as `web-push generate-vapid-keys` prints). */
export function vapidKeys(subject = 'mailto:push-test@example.com'): { subject: string; publicKey: string; privateKey: string } {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  // getPrivateKey() drops leading zero bytes (1 key in 256 is shorter), which web-push refuses:
  // VAPID keys are exactly 32 bytes (the cause of a red CI run on Node 26).
  const raw = ecdh.getPrivateKey()
  const secret = Buffer.alloc(32)
  raw.copy(secret, 32 - raw.length)
  return { subject, publicKey: b64url(ecdh.getPublicKey()), privateKey: b64url(secret) }
}

/** RFC 8291 §3.4 / RFC 8188 §2: decrypts a single-record aes128gcm body with the subscription's private key. */
function decryptAes128gcm(body: Buffer, ua: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const salt = body.subarray(0, 16)
  const idlen = body[20]!
  const asPublic = body.subarray(21, 21 + idlen)
  const record = body.subarray(21 + idlen)
  const ecdhSecret = ua.computeSecret(asPublic)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic])
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32))
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()])
  // The last record ends with the delimiter 0x02 and zero padding.
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  if (padded[end] !== 2) throw new Error('bad padding delimiter')
  return padded.subarray(0, end).toString('utf8')
}

/** A fresh subscription at `endpoint` (a P-256 key pair and a 16-byte auth secret). */
export function testSubscription(endpoint: string): TestSubscription {
  const ua = createECDH('prime256v1')
  ua.generateKeys()
  const auth = randomBytes(16)
  return { endpoint, keys: { p256dh: b64url(ua.getPublicKey()), auth: b64url(auth) }, decrypt: (body) => decryptAes128gcm(body, ua, auth) }
}

/**
 * Checks a request's `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292): an ES256 JWT signed by
 * `publicKey`, for `audience` (the endpoint's origin), from `subject`, not expired.
 * Returns what failed, or null.
 */
export function vapidProblem(headers: IncomingHttpHeaders, audience: string, subject: string, publicKey: string): string | null {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(headers.authorization ?? ''))
  if (!m) return 'no vapid authorization header'
  const [, jwt, k] = m
  if (k !== publicKey) return 'k is not the server key'
  const [h, p, s] = jwt!.split('.')
  const point = Buffer.from(k, 'base64url')
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' })
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))) return 'bad JWT signature'
  const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as { aud?: string; sub?: string; exp?: number }
  if (claims.aud !== audience) return `aud ${claims.aud} is not ${audience}`
  if (claims.sub !== subject) return `sub ${claims.sub} is not ${subject}`
  if (!claims.exp || claims.exp * 1000 < Date.now()) return 'expired'
  return null
}

export interface PushEndpoint {
  /** `https://127.0.0.1:<port>`: the origin endpoints are under (reached through `agent`). */
  origin: string
  /** Routes the sender's https requests to this server. */
  agent: Agent
  received: ReceivedPush[]
  /** The status answered for a path (default 201 Created, as push services answer). */
  statusFor: Map<string, number>
  /** Resolves once `n` pushes were received in all (rejects after `ms`). */
  waitFor(n: number, ms?: number): Promise<void>
  close(): Promise<void>
}

/** An https agent whose connections go, unencrypted, to a loopback port. */
class LoopbackAgent extends Agent {
  constructor(private readonly port: number) {
    super({ keepAlive: false })
  }
  override createConnection(): Socket {
    return connect(this.port, '127.0.0.1')
  }
}

/** Starts the endpoint on a free loopback port. */
export async function startPushEndpoint(): Promise<PushEndpoint> {
  const received: ReceivedPush[] = []
  const statusFor = new Map<string, number>()
  const waiters = new Set<() => void>()
  const http = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      res.writeHead(statusFor.get(req.url ?? '') ?? 201).end()
      for (const w of waiters) w()
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as { port: number }).port
  return {
    origin: `https://127.0.0.1:${port}`,
    agent: new LoopbackAgent(port),
    received,
    statusFor,
    waitFor(n, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < n) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`${received.length} of ${n} pushes received`))
        }, ms)
        waiters.add(check)
        check()
      })
    },
    close: () => new Promise<void>((r) => http.close(() => r())),
  }
}
