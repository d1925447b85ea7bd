/**
 * A group at the default member limit (100 members, 2 devices each: 200 clients in this
 * process) in each policy: created in one signed record, every one of the 199 other devices
 * verifies the roster and receives the first message (E2EE: one sender-key ciphertext and 199
 * distribution envelopes, sessions started on
 * the way), a reply from another member reaches everyone, and after a removal the removed
 * member's two devices get nothing more. Slow by nature (`slow-*`); no timing is asserted.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_GROUP_MEMBERS } from '@parley/protocol'
import { memoryKeyStore, requestDeviceLink, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'

const MEMBERS = Number(process.env.PARLEY_GROUP_100_MEMBERS ?? DEFAULT_MAX_GROUP_MEMBERS)
const POLICY = (process.env.PARLEY_GROUP_100_POLICY ?? 'default-e2ee') as 'server-side' | 'optional-e2ee' | 'default-e2ee'

describe(`a ${MEMBERS}-member group, 2 devices each (${POLICY})`, () => {
  let server: TestServer
  const clients: ParleyClient[] = []
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})))
    await server?.close()
  })

  it('creates, delivers to all 199 other devices, replies, and removes', async () => {
    // A fresh device's first E2EE send to 99 users fetches 99 bundle sets: above the default
    // per-requester keys.fetch burst (100) once its lookups are counted (docs/groups.md).
    server = await startServer({ policy: POLICY, limits: { keysFetch: { capacity: 1_000, refillPerSecond: 10 } } })
    const socketOptions = { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 }
    const ids = Array.from({ length: MEMBERS }, (_, i) => `u${String(i).padStart(3, '0')}`)
    const got = new Map<ParleyClient, string[]>()
    const errors: string[] = []
    const track = (c: ParleyClient) => {
      got.set(c, [])
      c.on('message', (m) => m.status !== 'pending' && m.sender.deviceId !== c.deviceId && got.get(c)!.push(m.text))
      c.on('error', (e) => errors.push(`${e.error.code}:${e.error.message.slice(0, 80)}`))
      clients.push(c)
      return c
    }
    const firsts: ParleyClient[] = []
    const seconds: ParleyClient[] = []
    // Registration is CPU-bound (key generation): a few users at a time, generous timeouts.
    for (let i = 0; i < ids.length; i += 10) {
      const batch = await Promise.all(ids.slice(i, i + 10).map(async (id) => {
        const first = track(await connect(server.url, id, { connectTimeoutMs: 120_000 }))
        const link = await requestDeviceLink({ deliveryReceipts: false, url: server.url, token: id, keyStore: memoryKeyStore(), socketOptions, connectTimeoutMs: 120_000, timeoutMs: 120_000 })
        await first.linkDevice(link.code)
        return [first, track(await link.client)] as const
      }))
      for (const [a, b] of batch) {
        firsts.push(a)
        seconds.push(b)
      }
    }
    // Let the 200 fresh devices finish their background work (prekey upkeep, link follow-ups)
    // first: the process is single-threaded, and the group's first delivery should not queue
    // behind it. Waits for 2 s in which a 200 ms timer is never held up by more than 60 ms.
    for (let quiet = 0; quiet < 10;) {
      const at = Date.now()
      await new Promise((r) => setTimeout(r, 200))
      quiet = Date.now() - at < 260 ? quiet + 1 : 0
    }
    const t0 = Date.now()
    const log = (what: string) => process.env.PARLEY_GROUP_100_LOG && console.log(`${Date.now() - t0} ms: ${what}`)
    log('200 clients')
    const all = [...firsts, ...seconds]
    const admin = firsts[0]!
    const group = await admin.conversations.create({ members: ids.slice(1), title: 'everyone' })
    expect(group.members).toHaveLength(MEMBERS)
    log('created')
    await group.send({ text: 'hello everyone' })
    log('sent')
    const others = all.filter((c) => c !== admin)
    await waitFor(() => others.every((c) => got.get(c)!.includes('hello everyone')), 120_000, 'every other device has the first message').catch((e) => {
      log(`missing: ${others.filter((c) => !got.get(c)!.includes('hello everyone')).length}; errors: ${[...new Set(errors)].join(' | ')}`)
      throw e
    })
    for (const c of others) expect(c.conversations.get(group.id)?.members).toHaveLength(MEMBERS)

    log('all have the first')
    expect([...new Set(errors)]).toEqual([])
    const replier = firsts[MEMBERS >> 1]!
    await replier.conversations.get(group.id)!.send({ text: 'a reply' })
    await waitFor(() => all.filter((c) => c.userId !== replier.userId).every((c) => got.get(c)!.includes('a reply')), 60_000, 'everyone has the reply')
    log('all have the reply')

    const leaving = ids[MEMBERS - 1]!
    await group.remove([leaving])
    await waitFor(() => others.every((c) => c.conversations.get(group.id)?.members.length === MEMBERS - 1), 60_000, 'every device verifies the removal')
    await group.send({ text: 'after the removal' })
    await waitFor(() => others.filter((c) => c.userId !== leaving).every((c) => got.get(c)!.includes('after the removal')), 60_000, 'the rest have it')
    log('done')
    for (const c of [firsts[MEMBERS - 1]!, seconds[MEMBERS - 1]!]) expect(got.get(c)).not.toContain('after the removal')
    expect([...new Set(errors)]).toEqual([])
  }, 400_000)
})
