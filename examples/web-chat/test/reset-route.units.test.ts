/**
 * `POST /api/reset-identity` (the demo's account reset, docs/recovery.md): refused from another
 * site, a bad name is 400, an unknown user 404, and a good request calls `parley.resetIdentity`
 * with the demo's audit reason.
 */
import type { IncomingMessage } from 'node:http'
import { NotFoundError } from '@parley/protocol'
import type { ParleyServer } from '@parley/server'
import { describe, expect, it } from 'vitest'
import { DEMO_RESET_REASON, resetIdentityRoute } from '../src/reset-identity-route.js'

const req = (headers: Record<string, string>) => ({ headers: { host: 'localhost:3000', 'sec-fetch-site': 'same-origin', ...headers } }) as unknown as IncomingMessage
const calls: [string, unknown][] = []
const parley = {
  async resetIdentity(userId: string, options: unknown) {
    calls.push([userId, options])
    if (userId === 'nobody') throw new NotFoundError('unknown user')
    return { userId, revokedDevices: ['d-1'], ticket: 'T'.repeat(43), ticketExpiresAt: 1 }
  },
} as unknown as ParleyServer

describe('reset identity route', () => {
  it('refuses other sites and bad names, maps an unknown user to 404, and resets', async () => {
    expect((await resetIdentityRoute(parley, req({ 'sec-fetch-site': 'cross-site' }), new URLSearchParams('user=alice')))[0]).toBe(403)
    expect((await resetIdentityRoute(parley, req({}), new URLSearchParams('user=Not A Name!')))[0]).toBe(400)
    expect((await resetIdentityRoute(parley, req({}), new URLSearchParams('')))[0]).toBe(400)
    expect(calls).toEqual([])
    expect((await resetIdentityRoute(parley, req({}), new URLSearchParams('user=nobody')))[0]).toBe(404)
    const [status, body] = await resetIdentityRoute(parley, req({ 'sec-fetch-site': 'same-origin', origin: 'http://localhost:3000' }), new URLSearchParams('user=alice'))
    expect([status, body]).toEqual([200, { userId: 'alice', revokedDevices: ['d-1'], ticket: 'T'.repeat(43), ticketExpiresAt: 1 }])
    expect(calls.at(-1)).toEqual(['alice', { reason: DEMO_RESET_REASON, by: 'web-chat' }])
  })
})
