/**
 * Errors the client reports as events reach the hooks as state, typed, never dropped: a frame
 * no honest server sends (a notice outside the closed catalogue) becomes `useParley().error`;
 * a notice naming a user who is not a member of the conversation becomes an entry of
 * `useConversation().errors` and is not shown as a notice. The client's checks do not depend
 * on the policy, so one policy is enough here.
 */
import type { ReactNode } from 'react'
import { act, renderHook, waitFor } from '@testing-library/react'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ParleyClient } from '@parley/client'
import { InvalidFrameError, MemberMismatchError } from '@parley/protocol'
import { ParleyProvider, useConversation, useParley } from '../src/index.js'
import { connect, startServer, type TestServer } from './helpers.js'

const WAIT = { timeout: 15_000 }

describe('errors as hook state', () => {
  let server: TestServer
  let alice: ParleyClient
  let bob: ParleyClient
  beforeAll(async () => {
    server = await startServer('optional-e2ee')
    alice = await connect(server.url, 'alice')
    bob = await connect(server.url, 'bob')
  })
  afterAll(async () => {
    await alice?.close()
    await bob?.close()
    await server?.close()
  })

  it('client-level and conversation-level errors', async () => {
    const convo = await alice.conversations.open('bob')
    const wrapper = ({ children }: { children: ReactNode }) => <ParleyProvider client={alice}>{children}</ParleyProvider>
    const r = renderHook(() => ({ parley: useParley(), convo: useConversation(convo.id) }), { wrapper })
    await waitFor(() => expect(r.result.current.parley.connected).toBe(true), WAIT)

    // Untyped on purpose: these frames break the protocol's event map.
    const raw = server.io as unknown as { emit(event: string, frame: unknown): boolean }
    raw.emit('notice', { kind: 'server_says_hello', text: 'trust me', ts: 1 })
    await waitFor(() => expect(InvalidFrameError.isInstance(r.result.current.parley.error)).toBe(true), WAIT)
    act(() => r.result.current.parley.clearError())
    expect(r.result.current.parley.error).toBeNull()

    raw.emit('notice', { kind: 'mode_changed', conversationId: convo.id, encryption: 'e2ee', by: 'mallory', ts: 2 })
    await waitFor(() => expect(r.result.current.convo.errors.map((e) => MemberMismatchError.isInstance(e.error))).toEqual([true]), WAIT)
    expect(r.result.current.convo.errors[0]!.conversationId).toBe(convo.id)
    expect(r.result.current.convo.notices).toEqual([])
    expect(r.result.current.convo.encryption).toBe('server-side')
    act(() => r.result.current.convo.clearErrors())
    expect(r.result.current.convo.errors).toEqual([])
    r.unmount()
  })
})
