/**
 * `POST /api/reset-identity?user=<name>` — the demo's half of "I lost every device"
 * (docs/recovery.md): the integrator's server re-authenticates the user, then calls
 * `parley.resetIdentity`. The demo has no passwords (anyone may sign in as anyone, see
 * demo-auth.ts), so here "re-authentication" is the same name check as sign-in; a real app
 * asks for its own proof first (password and e-mail code, support desk, …). Same-origin only.
 * The body carries the reset's one-time registration `ticket` (decision 0024): the browser
 * presents it when it registers the new identity. A real app delivers it out of band to the
 * re-authenticated user instead (an e-mailed link), never to whoever holds a session.
 */
import type { IncomingMessage } from 'node:http'
import { ParleyError } from '@parley/protocol'
import type { ParleyServer } from '@parley/server'
import { demoUserId } from './demo-auth.js'
import { sameOrigin } from './operator-origin.js'

/** The audit-log reason of a demo reset. */
export const DEMO_RESET_REASON = 'web-chat demo: user lost every device (demo sign-in, no re-authentication)'

/** Handles the route: [status, JSON body]. */
export async function resetIdentityRoute(parley: ParleyServer, req: IncomingMessage, params: URLSearchParams): Promise<[number, unknown]> {
  if (!sameOrigin(req.headers)) return [403, { error: { code: 'cross_origin_refused', message: 'requests must come from the app itself' } }]
  const userId = demoUserId(params.get('user'))
  if (userId === null) return [400, { error: { code: 'invalid_user', message: 'a demo user name is required' } }]
  try {
    const out = await parley.resetIdentity(userId, { reason: DEMO_RESET_REASON, by: 'web-chat' })
    return [200, out]
  } catch (e) {
    if (ParleyError.is(e, 'not_found')) return [404, { error: { code: 'not_found', message: 'no such user' } }]
    throw e
  }
}
