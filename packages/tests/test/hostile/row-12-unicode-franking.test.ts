/**
 * Issue 12, row 12: franking commits to the UTF-8 bytes of a text, and UTF-8 cannot encode a
 * lone surrogate — `TextEncoder` turns each into U+FFFD. So a reporter (or a relay in front of
 * the server) could swap a received U+FFFD for a lone surrogate, or back, and the edited text
 * would open the same commitment. Text must be well-formed Unicode: at send (TypeError from
 * `send()`), on the wire (`invalid_frame` for a report entry, a server-side body or an
 * attachment name) and in franking itself (`frankMessage` throws, `checkFranking` is false).
 *
 * Each case drives real clients; the reporter sits behind the tamper proxy, which edits the
 * `report.submit` frame on its way to the real server. Controls: the same relayed report
 * unedited verifies, and the edit really collides under UTF-8. NUL (U+0000), which a server-side
 * store cannot hold, is refused at `send()` with the same TypeError in every mode.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { checkFranking, frankMessage } from '@parley/crypto'
import { memoryKeyStore, type Conversation, type ParleyClient } from '@parley/client'
import { isWellFormedText, type ReportEntry } from '@parley/protocol'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'
import { logEntries, received } from '../helpers/moderation-world.js'

const ORIGINAL = 'pay \uFFFD100 to \uFFFDme' // well-formed: U+FFFD is an ordinary character
const EDITED = ORIGINAL.replace('\uFFFD', '\uD83D').replace('\uFFFD', '\uDC00') // lone surrogates, one high, one low
const utf8 = (s: string) => new TextEncoder().encode(s)

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

async function setup(policy: 'server-side' | 'optional-e2ee' | 'default-e2ee') {
  server = await startServer({ policy })
  proxy = await startTamperProxy(server.url)
  const bobStore = memoryKeyStore()
  const alice = await connect(server.url, 'alice')
  const bob = await connect(proxy.url, 'bob', { keyStore: bobStore }) // the reporter, behind the relay
  clients.push(alice, bob)
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  await ca.send({ text: ORIGINAL })
  await received(cb, ORIGINAL)
  return { alice, bob, bobStore, ca, cb }
}

/** Edits every report entry's text on its way upstream; counts the frames it edited. */
function editReports(edit: (text: string) => string): { edited: number } {
  const seen = { edited: 0 }
  proxy.hooks.request = (event, request) => {
    if (event !== 'report.submit') return request
    seen.edited++
    return { ...request, entries: request.entries.map((e: ReportEntry) => ({ ...e, text: edit(e.text) })) }
  }
  return seen
}

describe.each(['server-side', 'default-e2ee'] as const)('row 12, unicode franking: %s', (policy) => {
  it('the substitution collides under UTF-8 (what made the attack work)', () => {
    expect(EDITED).not.toBe(ORIGINAL)
    expect(isWellFormedText(EDITED)).toBe(false)
    expect(isWellFormedText(ORIGINAL)).toBe(true)
    expect(utf8(EDITED)).toEqual(utf8(ORIGINAL))
  })

  it('a relay that swaps U+FFFD for lone surrogates in a report → invalid_frame; nothing stored or handed to onReport', async () => {
    const { cb } = await setup(policy)
    const relay = editReports((t) => t.replace('\uFFFD', '\uD83D').replace('\uFFFD', '\uDC00'))
    const before = await server.parley.store().countReports()
    const err = await cb.report({ reason: 'abuse', reportId: 'r-edited' }).then(() => null, (e: unknown) => e)
    expect(relay.edited).toBe(1) // the edited frame did reach the server
    expect(err).toMatchObject({ code: 'invalid_frame' })
    expect(JSON.stringify((err as { details: unknown }).details)).toContain('well-formed')
    expect(await server.parley.store().countReports()).toBe(before)
    expect(server.reports).toEqual([])
  })

  it('control: the same relayed report, unedited, verifies', async () => {
    const { cb } = await setup(policy)
    const relay = editReports((t) => t)
    const ack = await cb.report({ reason: 'abuse', reportId: 'r-honest' })
    expect(relay.edited).toBe(1)
    expect(ack).toMatchObject({ duplicate: false, verifiedEntries: 1, totalEntries: 1 })
    await waitFor(() => server.reports.length === 1, 10_000, 'onReport')
    expect(server.reports[0]!.entries[0]).toMatchObject({ text: ORIGINAL, verified: true })
    expect(server.reports[0]!.transcript.verified).toBe(true)
  })

  it('franking itself: the edited text never opens the commitment; frankMessage refuses it', async () => {
    const { bobStore, cb } = await setup(policy)
    const [entry] = await logEntries(bobStore, cb.id)
    expect(entry!.text).toBe(ORIGINAL)
    expect(checkFranking({ text: ORIGINAL, attachments: [] }, entry!.nf, entry!.tf)).toBe(true) // control
    expect(checkFranking({ text: EDITED, attachments: [] }, entry!.nf, entry!.tf)).toBe(false)
    expect(() => frankMessage({ text: EDITED, attachments: [] })).toThrow(/well-formed Unicode, got a lone surrogate at index 4/)
    const name = 'a\uDFFF.txt'
    expect(() => frankMessage({ text: 'x', attachments: [{ name, mime: 'text/plain', size: 1, sha256: entry!.tf }] })).toThrow(TypeError)
  })

  it('send() of lone surrogates → TypeError naming the field; nothing queued, the peer gets nothing', async () => {
    const { ca, cb, alice } = await setup(policy)
    const got: string[] = []
    cb.on('message', (m) => void (m.status === 'received' && got.push(m.text)))
    await expect(ca.send({ text: EDITED })).rejects.toThrow(TypeError)
    await expect(ca.send({ text: 'lone \uD800' })).rejects.toThrow('"text" expected well-formed Unicode, got a lone surrogate at index 5')
    await expect(ca.send({ text: 'x', attachments: [{ name: 'n\uDC00', mime: 'text/plain', data: new Uint8Array(1) }] })).rejects.toThrow('"attachments[0].name" expected well-formed Unicode')
    // Control: the same path with a well-formed text (a surrogate PAIR) goes through.
    await ca.send({ text: 'pair \uD83D\uDE00' })
    await received(cb, 'pair \uD83D\uDE00')
    expect(got).toEqual(['pair \uD83D\uDE00'])
    const history = await ca.history({ limit: 10 })
    expect(history.messages.map((m) => m.text)).toEqual([ORIGINAL, 'pair \uD83D\uDE00'])
    expect(alice.deviceId).toBeTruthy()
  })
})

describe.each(['server-side', 'optional-e2ee', 'default-e2ee'] as const)('send() input: NUL, %s', (policy) => {
  it('send() of a NUL (U+0000) → the same TypeError in every mode; nothing queued, the peer gets nothing', async () => {
    const { ca, cb } = await setup(policy)
    const got: string[] = []
    cb.on('message', (m) => void (m.status === 'received' && got.push(m.text)))
    await expect(ca.send({ text: 'a\u0000b' })).rejects.toThrow('"text" expected no NUL character (U+0000), got one at index 1')
    await expect(ca.send({ text: 'x', attachments: [{ name: 'n', mime: 'text/\u0000', data: new Uint8Array(1) }] })).rejects.toThrow('"attachments[0].mime" expected no NUL character')
    // Control: the same call without the NUL arrives.
    await ca.send({ text: 'a b' })
    await received(cb, 'a b')
    expect(got).toEqual(['a b'])
    expect((await ca.history({ limit: 10 })).messages.map((m) => m.text)).toEqual([ORIGINAL, 'a b'])
  })
})
