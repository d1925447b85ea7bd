/**
 * The hooks in a DOM (happy-dom) against a real in-process server and real clients, under each
 * of the three policies: the list and its previews, messages with pages of history, delivery
 * ticks and blocked sends, the real mode and the upgrade, notices and ticks across a reload,
 * typing, safety numbers and a verified report.
 */
import { StrictMode, type ReactNode } from 'react'
import { act, renderHook, waitFor } from '@testing-library/react'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParleyClient, KeyStore } from '@parley/client'
import { MessageBlockedError, ParleyError, PolicyViolationError } from '@parley/protocol'
import {
  ParleyProvider, useConversation, useConversations, useMessages, useParley, useReport, useSafetyNumber, useTyping, type UiStore,
} from '../src/index.js'
import { BLOCKED_WORD, POLICIES, connect, reopenableStore, startServer, type TestServer } from './helpers.js'

const WAIT = { timeout: 15_000 }

/** Under StrictMode: effects run, are cleaned up and run again, as in development builds. */
function provider(client: ParleyClient, store?: UiStore) {
  return ({ children }: { children: ReactNode }) => (
    <StrictMode>
      <ParleyProvider client={client} store={store}>{children}</ParleyProvider>
    </StrictMode>
  )
}

describe.each(POLICIES)('hooks under %s', (policy) => {
  let server: TestServer
  let alice: ParleyClient
  let bob: ParleyClient
  const aliceKeys: KeyStore = reopenableStore()
  const aliceUi: UiStore = reopenableStore()
  let conversationId = ''
  const initialMode = policy === 'default-e2ee' ? 'e2ee' : 'server-side'

  beforeAll(async () => {
    server = await startServer(policy)
    alice = await connect(server.url, 'alice', aliceKeys)
    bob = await connect(server.url, 'bob')
  })
  afterAll(async () => {
    await alice?.close()
    await bob?.close()
    await server?.close()
  })

  it('useParley and useConversations: status, open, the list on both sides', async () => {
    const a = renderHook(() => ({ parley: useParley(), list: useConversations() }), { wrapper: provider(alice, aliceUi) })
    await waitFor(() => expect(a.result.current.parley.connected).toBe(true), WAIT)
    expect(a.result.current.parley.manifest?.policy).toBe(policy)
    expect(a.result.current.parley.userId).toBe('alice')
    const convo = await act(() => a.result.current.list.open('bob'))
    conversationId = convo.id
    await waitFor(() => expect(a.result.current.list.conversations.map((c) => c.peerUserId)).toEqual(['bob']), WAIT)
    expect(a.result.current.list.conversations[0]!.encryption).toBe(initialMode)

    const b = renderHook(() => useConversations(), { wrapper: provider(bob) })
    await waitFor(() => expect(b.result.current.conversations.map((c) => c.id)).toEqual([conversationId]), WAIT)
    expect(b.result.current.conversations[0]!.peerUserId).toBe('alice')

    // A typed error from open() rejects and is not swallowed.
    await expect(a.result.current.list.open('')).rejects.toBeInstanceOf(Error)
    a.unmount()
    b.unmount()
  })

  it('useMessages: send, delivery ticks, and a blocked send looks the same in every mode', async () => {
    const a = renderHook(() => ({ msgs: useMessages(conversationId), list: useConversations() }), { wrapper: provider(alice, aliceUi) })
    const b = renderHook(() => useMessages(conversationId), { wrapper: provider(bob) })
    await waitFor(() => expect(a.result.current.msgs.loading).toBe(false), WAIT)
    for (let i = 1; i <= 7; i++) await act(() => a.result.current.msgs.send({ text: `m${i}` }))
    await waitFor(() => expect(b.result.current.messages.map((m) => m.message.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']), WAIT)
    expect(b.result.current.messages.every((m) => m.message.encryption === initialMode && m.delivery === null)).toBe(true)
    await waitFor(() => expect(a.result.current.msgs.messages.map((m) => m.delivery)).toEqual(Array(7).fill('sent')), WAIT)

    // bob reads: alice's ticks move to 'read'.
    await act(async () => void (await b.result.current.markRead()))
    await waitFor(() => expect(a.result.current.msgs.messages.map((m) => m.delivery)).toEqual(Array(7).fill('read')), WAIT)

    // A blocked send: rejected with the typed error, shown as sendError, no row, no preview.
    let thrown: unknown
    await act(async () => {
      await a.result.current.msgs.send({ text: `a ${BLOCKED_WORD} here` }).catch((e) => (thrown = e))
    })
    expect(MessageBlockedError.isInstance(thrown)).toBe(true)
    expect(ParleyError.is(a.result.current.msgs.sendError, 'message_blocked')).toBe(true)
    expect(a.result.current.msgs.messages.map((m) => m.message.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    await waitFor(() => expect(a.result.current.list.conversations[0]!.lastMessage?.text).toBe('m7'), WAIT)
    act(() => a.result.current.msgs.clearSendError())
    expect(a.result.current.msgs.sendError).toBeNull()
    a.unmount()
    b.unmount()
  })

  it('useMessages: pages of history with loadMore', async () => {
    const b = renderHook(() => useMessages(conversationId, { pageSize: 3 }), { wrapper: provider(bob) })
    await waitFor(() => expect(b.result.current.messages.map((m) => m.message.text)).toEqual(['m5', 'm6', 'm7']), WAIT)
    expect(b.result.current.hasMore).toBe(true)
    await act(() => b.result.current.loadMore())
    expect(b.result.current.messages.map((m) => m.message.text)).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    await act(() => b.result.current.loadMore())
    expect(b.result.current.messages.map((m) => m.message.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'])
    expect(b.result.current.hasMore).toBe(false)
    b.unmount()
  })

  it('useConversation: the real mode, and the upgrade where the policy allows it', async () => {
    const a = renderHook(() => useConversation(conversationId), { wrapper: provider(alice, aliceUi) })
    const b = renderHook(() => useConversation(conversationId), { wrapper: provider(bob) })
    await waitFor(() => expect(a.result.current.encryption).toBe(initialMode), WAIT)
    expect(b.result.current.encryption).toBe(initialMode)
    if (policy === 'server-side') {
      let thrown: unknown
      await act(async () => {
        await a.result.current.upgrade().catch((e) => (thrown = e))
      })
      expect(PolicyViolationError.isInstance(thrown)).toBe(true)
      expect(ParleyError.is(a.result.current.upgradeError, 'policy_violation')).toBe(true)
      expect(a.result.current.encryption).toBe('server-side')
    } else {
      await act(() => a.result.current.upgrade())
      expect(a.result.current.upgradeError).toBeNull()
      await waitFor(() => expect(a.result.current.encryption).toBe('e2ee'), WAIT)
      await waitFor(() => expect(b.result.current.encryption).toBe('e2ee'), WAIT)
      if (policy === 'optional-e2ee') {
        await waitFor(() => expect(b.result.current.notices.map((n) => n.kind)).toContain('mode_changed'), WAIT)
        await waitFor(() => expect(a.result.current.notices.map((n) => n.kind)).toContain('mode_changed'), WAIT)
      }
    }
    a.unmount()
    b.unmount()
  })

  it('useReport: the preview says which messages travelled in which mode; the report verifies', async () => {
    const a = renderHook(() => useMessages(conversationId), { wrapper: provider(alice, aliceUi) })
    await waitFor(() => expect(a.result.current.loading).toBe(false), WAIT)
    await act(() => a.result.current.send({ text: 'after' }))
    const b = renderHook(() => ({ report: useReport(conversationId), msgs: useMessages(conversationId) }), { wrapper: provider(bob) })
    await waitFor(() => expect(b.result.current.msgs.messages.at(-1)?.message.text).toBe('after'), WAIT)
    act(() => b.result.current.report.reset())
    await waitFor(() => expect(b.result.current.report.preview.at(-1)?.text).toBe('after'), WAIT)
    const modes = b.result.current.report.preview.map((m) => m.encryption)
    // optional-e2ee upgraded mid-conversation: older entries were readable, the newest is E2EE.
    const expected = policy === 'server-side' ? ['server-side'] : policy === 'default-e2ee' ? ['e2ee'] : ['server-side', 'e2ee']
    expect([...new Set(modes)]).toEqual(expected)
    const result = await act(() => b.result.current.report.submit('spam'))
    expect(result.verifiedEntries).toBe(result.totalEntries)
    expect(b.result.current.report.result).toEqual(result)
    await waitFor(() => expect(server.reports.length).toBe(1), WAIT)
    // The report carries the previewed messages, plus the read receipts between and after them (docs/messages.md).
    const entries = server.reports[0]!.entries
    expect(entries.filter((e) => e.ref?.kind !== 'read' && e.ref?.kind !== 'delivered').map((e) => e.messageId)).toEqual(b.result.current.report.preview.map((m) => m.id))
    expect(entries).toHaveLength(result.totalEntries)
    a.unmount()
    b.unmount()
  })

  it('useReport: a message that arrives while the preview is open is shown without a reset', async () => {
    const a = renderHook(() => useMessages(conversationId), { wrapper: provider(alice, aliceUi) })
    const b = renderHook(() => useReport(conversationId), { wrapper: provider(bob) })
    await waitFor(() => expect(b.result.current.loading).toBe(false), WAIT)
    await waitFor(() => expect(a.result.current.loading).toBe(false), WAIT)
    const before = b.result.current.preview.map((m) => m.id)
    expect(before.length).toBeGreaterThan(0)
    await act(() => a.result.current.send({ text: 'while the report screen is open' }))
    await waitFor(() => expect(b.result.current.preview.at(-1)?.text).toBe('while the report screen is open'), WAIT)
    expect(b.result.current.preview.map((m) => m.id)).not.toEqual(before)
    a.unmount()
    b.unmount()
  })

  it('useTyping and useSafetyNumber', async () => {
    const a = renderHook(() => ({ typing: useTyping(conversationId), safety: useSafetyNumber(conversationId) }), { wrapper: provider(alice, aliceUi) })
    const b = renderHook(() => ({ typing: useTyping(conversationId), safety: useSafetyNumber(conversationId) }), { wrapper: provider(bob) })
    await waitFor(() => expect(a.result.current.typing.typing).toEqual([]), WAIT)
    act(() => b.result.current.typing.notifyTyping())
    await waitFor(() => expect(a.result.current.typing.typing).toEqual(['bob']), WAIT)
    expect(a.result.current.typing.peerTyping).toBe(true)
    act(() => b.result.current.typing.stopTyping())
    await waitFor(() => expect(a.result.current.typing.peerTyping).toBe(false), WAIT)
    expect(b.result.current.typing.error).toBeNull()

    await waitFor(() => expect(a.result.current.safety.safetyNumber?.digits).toMatch(/^\d{60}$/), WAIT)
    await waitFor(() => expect(b.result.current.safety.safetyNumber?.digits).toBe(a.result.current.safety.safetyNumber!.digits), WAIT)
    a.unmount()
    b.unmount()
  })

  it('a reload keeps own read ticks and the upgrade notice', async () => {
    await alice.close()
    alice = await connect(server.url, 'alice', aliceKeys)
    const a = renderHook(() => ({ msgs: useMessages(conversationId), convo: useConversation(conversationId) }), { wrapper: provider(alice, aliceUi) })
    await waitFor(() => expect(a.result.current.msgs.messages.map((m) => m.message.text)).toContain('m7'), WAIT)
    const ticks = a.result.current.msgs.messages.filter((m) => /^m\d$/.test(m.message.text)).map((m) => m.delivery)
    expect(ticks).toEqual(Array(7).fill('read'))
    const kinds = a.result.current.convo.notices.map((n) => n.kind)
    if (policy === 'optional-e2ee') expect(kinds).toContain('mode_changed')
    else expect(kinds).not.toContain('mode_changed')
    a.unmount()
  })
})

describe('outside a provider', () => {
  it('a hook throws a clear error', () => {
    expect(() => renderHook(() => useParley())).toThrow('useParley() must be used inside <ParleyProvider>')
  })

  it('with client={null} the hooks show empty state', () => {
    const r = renderHook(() => ({ p: useParley(), l: useConversations(), m: useMessages('c_x'), c: useConversation('c_x') }), {
      wrapper: ({ children }: { children: ReactNode }) => <ParleyProvider client={null}>{children}</ParleyProvider>,
    })
    expect(r.result.current.p).toMatchObject({ client: null, connected: false, userId: null })
    expect(r.result.current.l.conversations).toEqual([])
    expect(r.result.current.m.messages).toEqual([])
    expect(r.result.current.c.encryption).toBeNull()
  })
})
