/**
 * The client's copy of the safety state (src/safety/state.ts) against a scripted connection:
 * every page of a list is read, a server whose `next` does not move forward cannot keep the
 * client reading, an older server without the frames reads as empty, and events fire exactly
 * once per change. End-to-end behaviour is in packages/tests (safety-conformance).
 */
import { describe, expect, it } from 'vitest'
import { InvalidFrameError, RateLimitedError } from '@parley/protocol'
import { MAX_SAFETY_SYNC_PAGES } from '../src/constants.js'
import type { ClientCore } from '../src/core.js'
import { Emitter } from '../src/emitter.js'
import { SafetyState } from '../src/safety/state.js'
import type { ClientEvents } from '../src/types.js'

type Handler = (event: string, frame: { after?: string }) => unknown

function fakeCore(handler: Handler): { core: ClientCore; events: { name: string; payload: unknown }[]; calls: string[] } {
  const events: { name: string; payload: unknown }[] = []
  const calls: string[] = []
  const emitter = new Emitter<ClientEvents>()
  for (const name of ['block', 'mute', 'request'] as const) emitter.on(name, (payload) => void events.push({ name, payload }))
  const conn = {
    request: async (event: string, frame: { after?: string }) => {
      calls.push(`${event}${frame.after ? `>${frame.after}` : ''}`)
      return handler(event, frame)
    },
  }
  return { core: { conn, events: emitter } as unknown as ClientCore, events, calls }
}

const empty = (event: string) => (event === 'block.list' ? { blocked: [] } : event === 'mute.list' ? { muted: [] } : { requests: [] })

describe('SafetyState', () => {
  it('reads every page of each list and emits one event per difference', async () => {
    const { core, events, calls } = fakeCore((event, f) => {
      if (event === 'block.list') {
        return f.after === undefined ? { blocked: [{ userId: 'a', since: 1 }, { userId: 'b', since: 2 }], next: 'b' } : { blocked: [{ userId: 'c', since: 3 }] }
      }
      if (event === 'mute.list') return { muted: [{ conversationId: 'c1', since: 4 }] }
      return { requests: [{ conversationId: 'c2', userId: 'eve', state: 'pending', since: 5 }] }
    })
    const state = new SafetyState(core, () => undefined)
    await state.sync()
    expect(calls.sort()).toEqual(['block.list', 'block.list>b', 'mute.list', 'request.list'])
    expect(['a', 'b', 'c', 'd'].map((u) => state.isBlocked(u))).toEqual([true, true, true, false])
    expect(state.isMuted('c1')).toBe(true)
    expect(state.request('c2')).toEqual({ userId: 'eve', state: 'pending', since: 5 })
    expect(events).toHaveLength(5)
    // The same state again: no events. A newer `since` is taken silently.
    events.length = 0
    await state.sync()
    expect(events).toEqual([])
    state.applyRequest('c2', 'eve', 'declined', 9)
    state.applyRequest('c2', 'eve', 'declined', 10)
    state.applyRequest('c2', 'eve', 'accepted', 11)
    state.applyRequest('c2', 'eve', 'accepted', 12)
    state.applyBlock('a', false, 0)
    state.applyMute('c1', false, 0)
    expect(events).toEqual([
      { name: 'request', payload: { conversationId: 'c2', userId: 'eve', state: 'declined' } },
      { name: 'request', payload: { conversationId: 'c2', userId: 'eve', state: 'accepted' } },
      { name: 'block', payload: { userId: 'a', blocked: false } },
      { name: 'mute', payload: { conversationId: 'c1', muted: false } },
    ])
    expect(state.request('c2')).toBeUndefined()
  })

  it('a sync that no longer lists something undoes it, reporting a closed request as accepted', async () => {
    let round = 0
    const { core, events } = fakeCore((event) => {
      if (round === 0) {
        if (event === 'block.list') return { blocked: [{ userId: 'a', since: 1 }] }
        if (event === 'mute.list') return { muted: [{ conversationId: 'c1', since: 1 }] }
        return { requests: [{ conversationId: 'c2', userId: 'eve', state: 'pending', since: 1 }] }
      }
      return empty(event)
    })
    const state = new SafetyState(core, () => undefined)
    await state.sync()
    round = 1
    events.length = 0
    await state.sync()
    expect(events).toEqual([
      { name: 'block', payload: { userId: 'a', blocked: false } },
      { name: 'mute', payload: { conversationId: 'c1', muted: false } },
      { name: 'request', payload: { conversationId: 'c2', userId: 'eve', state: 'accepted' } },
    ])
  })

  it('stops when a server\'s next does not move forward, and after MAX_SAFETY_SYNC_PAGES pages', async () => {
    const stuck = fakeCore((event) => (event === 'block.list' ? { blocked: [{ userId: 'x', since: 1 }], next: 'x' } : empty(event)))
    await new SafetyState(stuck.core, () => undefined).sync()
    expect(stuck.calls.filter((c) => c.startsWith('block.list'))).toEqual(['block.list', 'block.list>x'])
    let n = 0
    const endless = fakeCore((event) => {
      if (event !== 'block.list') return empty(event)
      n++
      return { blocked: [{ userId: `u${String(n).padStart(4, '0')}`, since: 1 }], next: `u${String(n).padStart(4, '0')}` }
    })
    const state = new SafetyState(endless.core, () => undefined)
    await state.sync()
    expect(n).toBe(MAX_SAFETY_SYNC_PAGES)
    expect(state.isBlocked('u0001')).toBe(true)
  })

  it('an older server without the frames reads as empty; any other error fails the sync', async () => {
    const old = fakeCore(() => {
      throw new InvalidFrameError('unknown event')
    })
    const state = new SafetyState(old.core, () => undefined)
    await state.sync()
    expect(state.isBlocked('a')).toBe(false)
    const limited = fakeCore(() => {
      throw new RateLimitedError('slow down')
    })
    await expect(new SafetyState(limited.core, () => undefined).sync()).rejects.toThrow(RateLimitedError)
  })
})
