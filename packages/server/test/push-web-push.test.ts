/**
 * `webPushSender` against a local push endpoint (docs/push.md): the payload arrives encrypted
 * to the subscription (decrypted here independently, RFC 8291) with a valid VAPID token and one
 * Topic per conversation; an E2EE delivery's payload is content-free; a subscription the push
 * service calls gone is removed; a failure of one subscription does not stop the others; an
 * endpoint off the allow-list is never contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PushRegistration } from '@parley/protocol'
import { defaultPushPayload, isPushServiceEndpoint, webPushSender, type OfflineDelivery } from '../src/index.js'
import { startPushEndpoint, testSubscription, vapidKeys, vapidProblem, type PushEndpoint, type TestSubscription } from './helpers/push-endpoint.js'

let ep: PushEndpoint
beforeAll(async () => {
  ep = await startPushEndpoint()
})
afterAll(async () => ep?.close())

const vapid = vapidKeys()
const webPush = (id: string, s: TestSubscription): PushRegistration => ({ kind: 'web-push', id, subscription: { endpoint: s.endpoint, keys: s.keys } })
const delivery = (registrations: PushRegistration[], extra: Partial<OfflineDelivery> = {}): OfflineDelivery => ({
  device: { userId: 'bob', deviceId: 'b1' }, registrations, conversationId: 'c_1', messageId: 'm_9', count: 2,
  sender: { userId: 'alice', deviceId: 'a1' }, mode: 'e2ee', ts: 1, muted: false, ...extra,
})
const noRemoval = { removeRegistration: async () => { throw new Error('not expected') } }

describe('webPushSender', () => {
  const local = () => webPushSender({ vapid, allowEndpoint: (u) => u.origin === ep.origin, agent: ep.agent })

  it('encrypts the payload to the subscription, signs VAPID for the endpoint origin, one Topic per conversation; E2EE content-free', async () => {
    const sub = testSubscription(`${ep.origin}/p/one`)
    const before = ep.received.length
    await local()(delivery([webPush('w1', sub), { kind: 'token', id: 't1', provider: 'apns', token: 'abc' }]), noRemoval)
    await local()(delivery([webPush('w1', sub)], { conversationId: 'c_2' }), noRemoval)
    const [a, b] = ep.received.slice(before)
    expect(ep.received.length - before).toBe(2) // the native token is not Web Push's
    expect(a!.path).toBe('/p/one')
    expect(a!.headers['content-encoding']).toBe('aes128gcm')
    expect(a!.headers.urgency).toBe('high')
    expect(Number(a!.headers.ttl)).toBe(86_400)
    expect(vapidProblem(a!.headers, ep.origin, vapid.subject, vapid.publicKey)).toBeNull()
    expect(a!.headers.topic).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(b!.headers.topic).not.toBe(a!.headers.topic)
    // Control: the body is ciphertext; only the subscription's keys open it.
    expect(a!.body.toString('latin1')).not.toContain('c_1')
    expect(() => testSubscription(sub.endpoint).decrypt(a!.body)).toThrow()
    const payload = JSON.parse(sub.decrypt(a!.body)) as Record<string, unknown>
    expect(payload).toEqual({ v: 1, type: 'parley.message', conversationId: 'c_1', messageId: 'm_9', count: 2 })
  })

  it('a server-side delivery carries its preview; an E2EE one never does, whatever it holds', async () => {
    const preview = { text: 'see you at noon', truncated: false, attachments: 0 }
    expect(defaultPushPayload(delivery([], { mode: 'server-side', preview }))).toMatchObject({ preview: { ...preview, from: 'alice' } })
    expect(defaultPushPayload(delivery([], { mode: 'e2ee', preview }))).not.toHaveProperty('preview')
    const sub = testSubscription(`${ep.origin}/p/two`)
    const before = ep.received.length
    await local()(delivery([webPush('w1', sub)], { mode: 'server-side', preview }), noRemoval)
    expect(JSON.parse(sub.decrypt(ep.received[before]!.body)).preview.text).toBe('see you at noon')
  })

  it('removes a subscription the push service calls gone; another failure is thrown after the rest went out', async () => {
    const gone = testSubscription(`${ep.origin}/p/gone`)
    const broken = testSubscription(`${ep.origin}/p/broken`)
    const fine = testSubscription(`${ep.origin}/p/fine`)
    ep.statusFor.set('/p/gone', 410)
    ep.statusFor.set('/p/broken', 500)
    const removed: string[] = []
    const ctx = { removeRegistration: async (id: string) => { removed.push(id); return true } }
    const before = ep.received.length
    await expect(local()(delivery([webPush('g', gone), webPush('b', broken), webPush('f', fine)]), ctx)).rejects.toThrow(/HTTP 500/)
    expect(removed).toEqual(['g'])
    expect(ep.received.slice(before).map((r) => r.path).sort()).toEqual(['/p/broken', '/p/fine', '/p/gone'])
  })

  it('never contacts an endpoint off the allow-list (the default list has only the public push services)', async () => {
    const sub = testSubscription(`${ep.origin}/p/internal`)
    const before = ep.received.length
    await expect(webPushSender({ vapid, agent: ep.agent })(delivery([webPush('w', sub)]), noRemoval)).rejects.toThrow(/not allowed/)
    expect(ep.received.length).toBe(before)
    // Control: the same delivery with the loopback origin allowed reaches the endpoint.
    await local()(delivery([webPush('w', sub)]), noRemoval)
    expect(ep.received.slice(before).map((r) => r.path)).toEqual(['/p/internal'])
    expect(isPushServiceEndpoint(new URL('https://fcm.googleapis.com/fcm/send/x'))).toBe(true)
    expect(isPushServiceEndpoint(new URL('https://db5p.notify.windows.com/w/?token=x'))).toBe(true)
    expect(isPushServiceEndpoint(new URL('https://notify.windows.com.evil.example/x'))).toBe(false)
    expect(isPushServiceEndpoint(new URL('https://fcm.googleapis.com:8443/x'))).toBe(false)
    expect(isPushServiceEndpoint(new URL('https://evilfcm.googleapis.com/x'))).toBe(false)
    expect(isPushServiceEndpoint(new URL('https://127.0.0.1/x'))).toBe(false)
  })

  it('skips a conversation the user muted, unless notifyMuted', async () => {
    const sub = testSubscription(`${ep.origin}/p/muted`)
    const before = ep.received.length
    await local()(delivery([webPush('w', sub)], { muted: true }), noRemoval)
    expect(ep.received.length).toBe(before)
    await webPushSender({ vapid, allowEndpoint: (u) => u.origin === ep.origin, agent: ep.agent, notifyMuted: true })(delivery([webPush('w', sub)], { muted: true }), noRemoval)
    expect(ep.received.slice(before).map((r) => r.path)).toEqual(['/p/muted'])
  })

  it('refuses bad VAPID keys or options at creation', () => {
    expect(() => webPushSender({ vapid: { ...vapid, publicKey: 'short' } })).toThrow(TypeError)
    expect(() => webPushSender({ vapid: { ...vapid, subject: 'not a url' } })).toThrow(TypeError)
    expect(() => webPushSender({ vapid, ttlSeconds: -1 })).toThrow(TypeError)
    expect(() => webPushSender(undefined as never)).toThrow(TypeError)
  })
})
