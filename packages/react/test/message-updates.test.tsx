/**
 * `useMessages` follows the client's `'update'` event (docs/messages.md), under each policy:
 * an edited message shows its latest text, reactions appear, and a message deleted for
 * everyone shows its tombstone — on the other member's rows, without reloading history.
 */
import { StrictMode, type ReactNode } from 'react'
import { act, renderHook, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { ParleyClient } from '@parley/client'
import { ParleyProvider, useMessages } from '../src/index.js'
import { POLICIES, connect, startServer, type TestServer } from './helpers.js'

const WAIT = { timeout: 15_000 }
const provider = (client: ParleyClient) => ({ children }: { children: ReactNode }) => (
  <StrictMode><ParleyProvider client={client}>{children}</ParleyProvider></StrictMode>
)

let server: TestServer | undefined
let clients: ParleyClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  await server?.close()
})

describe.each(POLICIES)('message updates under %s', (policy) => {
  it('edits, reactions and deletions reach the rows', async () => {
    server = await startServer(policy)
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob')
    clients = [alice, bob]
    const ca = await alice.conversations.open('bob')
    await bob.conversations.open('alice')
    const b = renderHook(() => useMessages(ca.id), { wrapper: provider(bob) })
    await waitFor(() => expect(b.result.current.loading).toBe(false), WAIT)
    const sent = await ca.send({ text: 'helo' })
    await waitFor(() => expect(b.result.current.messages.map((r) => r.message.text)).toEqual(['helo']), WAIT)
    await act(async () => void (await ca.edit(sent.messageId, { text: 'hello' })))
    await waitFor(() => expect(b.result.current.messages.map((r) => [r.message.text, r.message.versions?.[0]?.text])).toEqual([['hello', 'helo']]), WAIT)
    const cb = bob.conversations.get(ca.id)!
    await act(async () => void (await cb.react(sent.messageId, '👍')))
    await waitFor(() => expect(b.result.current.messages[0]!.message.reactions).toEqual({ '👍': ['bob'] }), WAIT)
    await act(() => ca.deleteForEveryone(sent.messageId))
    await waitFor(() => expect(b.result.current.messages.map((r) => [r.message.text, r.message.deleted?.by.userId])).toEqual([['', 'alice']]), WAIT)
    b.unmount()
  })
})
