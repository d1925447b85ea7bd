/**
 * `client.search` (issue 17) behaves the same in every mode: it searches the device's local log
 * (sent and received messages, text and attachment names), by every word, by prefix and with
 * small typos, optionally in one conversation — and the query never leaves the device. Every
 * frame the client sends goes through a recording proxy; the control shows the proxy is on the
 * path (the client's sends cross it), while the searches add no frame at all.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Policy } from '@parley/protocol'
import { MAX_SEARCH_LIMIT, MAX_SEARCH_QUERY_LENGTH, type ParleyClient } from '@parley/client'
import { closeAll, connect, startServer, waitFor, type TestServer } from './helpers/parley.js'
import { startTamperProxy, type TamperProxy } from './helpers/tamper-proxy.js'

const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
/** A query that matches nothing, so it can only appear in a frame if the client sent the query. */
const SENTINEL_QUERY = 'xylophonequasar'

let server: TestServer | undefined
let proxy: TamperProxy | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, server })
  await proxy?.close()
  server = proxy = undefined
})

describe.each(POLICIES)('search under %s', (policy) => {
  it('finds sent and received messages by word, prefix, typo and attachment name, per conversation; the query never leaves the device', async () => {
    server = await startServer({ policy })
    proxy = await startTamperProxy(server.url)
    const frames: string[] = []
    proxy.hooks.request = (event, request) => {
      frames.push(`${event} ${JSON.stringify(request)}`)
      return request
    }
    const tag = Math.random().toString(36).slice(2, 8)
    const alice = await connect(proxy.url, `alice-${tag}`)
    const bob = await connect(server.url, `bob-${tag}`)
    const carol = await connect(server.url, `carol-${tag}`)
    clients.push(alice, bob, carol)
    const withBob = await alice.conversations.open(`bob-${tag}`)
    const withCarol = await alice.conversations.open(`carol-${tag}`)
    const got: string[] = []
    alice.on('message', (m) => m.status === 'received' && got.push(m.text))

    await withBob.send({ text: 'The quokka photos from Rottnest are lovely' })
    await withCarol.send({ text: 'Quokkas again? Meet at the harbour at noon', attachments: [{ name: 'harbour-map.png', mime: 'image/png', data: new Uint8Array([1, 2, 3]) }] })
    const fromBob = await bob.conversations.open(`alice-${tag}`)
    await fromBob.send({ text: 'Sending the itinerary tonight' })
    await waitFor(() => got.length === 1, 15_000, "bob's message at alice")
    // Let the delivery's own frames (inbox ack) settle, so every later frame would be the search's.
    await new Promise((r) => setTimeout(r, 300))
    const framesBeforeSearch = frames.length
    // Control: the proxy is on alice's path — her sends crossed it.
    expect(frames.filter((f) => f.startsWith('message.send')).length).toBe(2)

    const texts = async (q: string, o?: Parameters<ParleyClient['search']>[1]) => (await alice.search(q, o)).map((r) => r.message.text)
    // Every word must match; prefix and typo tolerant; case-insensitive; sent and received alike.
    expect((await texts('quokka')).sort()).toEqual(['Quokkas again? Meet at the harbour at noon', 'The quokka photos from Rottnest are lovely'])
    expect(await texts('quokka harbour')).toEqual(['Quokkas again? Meet at the harbour at noon'])
    expect(await texts('itinerery')).toEqual(['Sending the itinerary tonight'])
    expect(await texts('rottn')).toEqual(['The quokka photos from Rottnest are lovely'])
    expect(await texts('harbour-map')).toEqual(['Quokkas again? Meet at the harbour at noon'])
    expect(await texts('quokka', { conversationId: withBob.id })).toEqual(['The quokka photos from Rottnest are lovely'])
    expect(await texts('quokka', { limit: 1 })).toHaveLength(1)
    expect(await texts(SENTINEL_QUERY)).toEqual([])
    const [hit] = await alice.search('itinerary')
    expect(hit!.message).toMatchObject({ conversationId: withBob.id, outgoing: false, status: 'received', sender: { userId: `bob-${tag}` } })
    expect(hit!.message.encryption).toBe(withBob.encryption)
    expect(hit!.terms).toEqual(['itinerary'])
    // Searching sent nothing: no frame while searching.
    expect(frames.slice(framesBeforeSearch)).toEqual([])

    // A message that arrives after the index was built is found too.
    await fromBob.send({ text: 'Bring a quokka selfie stick' })
    await waitFor(() => got.length === 2, 15_000, 'the second message')
    expect(await texts('selfie')).toEqual(['Bring a quokka selfie stick'])

    // The sentinel query is in no frame alice ever sent.
    expect(frames.some((f) => f.includes(SENTINEL_QUERY))).toBe(false)

    // Bad input: typed errors, nothing else.
    await expect(alice.search('')).rejects.toThrow(TypeError)
    await expect(alice.search('x'.repeat(MAX_SEARCH_QUERY_LENGTH + 1))).rejects.toThrow(RangeError)
    await expect(alice.search('quokka', { limit: MAX_SEARCH_LIMIT + 1 })).rejects.toThrow(RangeError)
    await expect(alice.search('quokka', { conversationId: '' })).rejects.toThrow(TypeError)
  }, 60_000)
})
