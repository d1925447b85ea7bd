/**
 * The push dispatcher (docs/push.md) on a stand-in socket.io and a memory store: one hook call
 * per offline device and conversation per batch, never for a connected device or the sender's
 * own devices, preview only for server-side messages, a failing hook isolated, a batch in flight
 * holding later messages for the next batch, and `close()` running what is pending.
 */
import { describe, expect, it, vi } from 'vitest'
import { TimeoutError, type DeviceAddress, type PlainBody } from '@parley/protocol'
import { memoryStore } from '../src/store/memory-store.js'
import { checkPushOptions, PushDispatcher } from '../src/push/dispatcher.js'
import { previewOf } from '../src/push/preview.js'
import { MAX_PENDING_PUSHES, MAX_PUSH_PREVIEW_LENGTH, PUSH_HOOK_TIMEOUT_MS, type OfflineDelivery, type OnOfflineDelivery } from '../src/push/types.js'
import type { Ctx } from '../src/context.js'
import type { Recipient, StoredMessage } from '../src/store/store.js'

const key = (d: DeviceAddress) => `${d.userId}\n${d.deviceId}`
const alice = { userId: 'alice', deviceId: 'a1' }
const alice2 = { userId: 'alice', deviceId: 'a2' }
const bob = { userId: 'bob', deviceId: 'b1' }
const bob2 = { userId: 'bob', deviceId: 'b2' }
const carol = { userId: 'carol', deviceId: 'c1' }
const body = (text: string): PlainBody => ({ text, attachments: [], nf: 'A'.repeat(43) + '=' })

let seq = 0
function message(conversationId: string, mode: 'server-side' | 'e2ee', sender = alice): StoredMessage {
  seq++
  return { id: `m${seq}`, conversationId, seq, ts: 1000 + seq, kind: 'message', sender, mode, deleted: false } as StoredMessage
}
const to = (...ds: DeviceAddress[]): Recipient[] => ds.map((d, i) => ({ ...d, inboxId: i + 1 }))

function world(hook: OnOfflineDelivery, coalesceMs = 5) {
  const online = new Set<string>()
  const errors: { error: unknown; where: string }[] = []
  const store = memoryStore()
  const ctx = {
    store,
    io: { in: (rooms: string[]) => ({ fetchSockets: async () => [...online].filter((k) => rooms.includes(`d:${k}`)).map((k) => ({ data: { userId: k.split('\n')[0], deviceId: k.split('\n')[1] } })) }) },
    reportError: (error: unknown, c: { where: string }) => void errors.push({ error, where: c.where }),
    track: <T>(p: Promise<T>) => p,
  } as unknown as Ctx
  return { ctx, online, errors, store, push: new PushDispatcher(ctx, hook, coalesceMs) }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5))
  if (!check()) throw new Error(`timed out: ${what}`)
}

const brief = (d: OfflineDelivery) => [d.device.userId, d.device.deviceId, d.conversationId, d.messageId, d.count, d.mode, d.preview?.text ?? null]

describe('PushDispatcher', () => {
  it('one call per offline device and conversation per batch; never the sender\'s devices; previews only server-side', async () => {
    const calls: OfflineDelivery[] = []
    const w = world((d) => void calls.push(d))
    await w.store.push.register(bob, { kind: 'token', id: 't', provider: 'apns', token: 'tok' }, 1, 4)
    await w.store.safety.setMuted('carol', 'c_e', true, 1)
    const a = message('c_a', 'server-side')
    w.push.note(a, to(bob, bob2, alice, alice2), body('one'))
    const b = message('c_a', 'server-side')
    w.push.note(b, to(bob, bob2, alice, alice2), body('two'))
    const e = message('c_e', 'e2ee')
    w.push.note(e, to(bob, carol, alice2))
    // Not messages: a mode change or roster record wakes nobody, nor a deleted message.
    w.push.note({ ...message('c_e', 'e2ee'), kind: 'mode_change' }, to(bob))
    w.push.note({ ...message('c_e', 'e2ee'), deleted: true }, to(bob))
    await until(() => calls.length === 4, 'four calls')
    expect(calls.map(brief).sort()).toEqual([
      ['bob', 'b1', 'c_a', b.id, 2, 'server-side', 'two'],
      ['bob', 'b1', 'c_e', e.id, 1, 'e2ee', null],
      ['bob', 'b2', 'c_a', b.id, 2, 'server-side', 'two'],
      ['carol', 'c1', 'c_e', e.id, 1, 'e2ee', null],
    ].sort())
    expect(calls.find((d) => d.device.deviceId === 'b1')!.registrations).toEqual([{ kind: 'token', id: 't', provider: 'apns', token: 'tok' }])
    expect(calls.find((d) => d.device.deviceId === 'b2')!.registrations).toEqual([])
    expect(calls.every((d) => d.sender.userId === 'alice')).toBe(true)
    expect(calls.filter((d) => d.muted).map((d) => [d.device.userId, d.conversationId])).toEqual([['carol', 'c_e']]) // carol muted it
    expect(calls.filter((d) => d.mode === 'e2ee').every((d) => !('preview' in d))).toBe(true)
    expect(w.errors).toEqual([])
  })

  it('connected devices get no call; a throwing hook is reported and the other calls go on', async () => {
    const calls: OfflineDelivery[] = []
    const w = world((d) => {
      if (d.device.userId === 'carol') throw new Error('push service down')
      calls.push(d)
    })
    w.online.add(key(bob2))
    w.push.note(message('c_g', 'e2ee'), to(bob, bob2, carol))
    await until(() => calls.length === 1 && w.errors.length === 1, 'one call, one error')
    expect(calls.map((d) => d.device)).toEqual([bob])
    expect(w.errors[0]!.where).toBe('onOfflineDelivery')
    expect(String(w.errors[0]!.error)).toContain('push service down')
  })

  it('a batch in flight holds later messages for the next batch (one call for all of them)', async () => {
    const calls: OfflineDelivery[] = []
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const w = world(async (d) => {
      calls.push(d)
      if (calls.length === 1) await held
    })
    w.push.note(message('c_h', 'e2ee'), to(bob))
    await until(() => calls.length === 1, 'first call')
    const later = [message('c_h', 'e2ee'), message('c_h', 'e2ee'), message('c_h', 'e2ee')]
    for (const m of later) w.push.note(m, to(bob))
    await new Promise((r) => setTimeout(r, 30)) // several windows pass while the first batch is held
    expect(calls.length).toBe(1)
    release()
    await until(() => calls.length === 2, 'second call')
    expect([calls[1]!.messageId, calls[1]!.count]).toEqual([later[2]!.id, 3])
  })

  it('a hook call still running after PUSH_HOOK_TIMEOUT_MS is reported and stops holding the next batch', async () => {
    vi.useFakeTimers()
    try {
      const calls: OfflineDelivery[] = []
      const w = world((d) => {
        calls.push(d)
        if (calls.length === 1) return new Promise<void>(() => {}) // never settles
      })
      w.push.note(message('c_t', 'e2ee'), to(bob))
      await vi.advanceTimersByTimeAsync(5)
      expect(calls.length).toBe(1)
      const next = message('c_t', 'e2ee')
      w.push.note(next, to(bob))
      await vi.advanceTimersByTimeAsync(PUSH_HOOK_TIMEOUT_MS - 10)
      expect([calls.length, w.errors.length]).toEqual([1, 0]) // still held
      await vi.advanceTimersByTimeAsync(20)
      expect(w.errors.map((e) => [e.where, TimeoutError.isInstance(e.error)])).toEqual([['onOfflineDelivery', true]])
      await vi.advanceTimersByTimeAsync(10)
      expect(calls.map((d) => d.messageId)).toEqual([calls[0]!.messageId, next.id])
    } finally {
      vi.useRealTimers()
    }
  })

  it(`holds at most its limit of entries per batch (MAX_PENDING_PUSHES); more are dropped and logged, pending ones still coalesce`, async () => {
    const warnings: unknown[] = []
    const calls: OfflineDelivery[] = []
    const ctx = {
      store: memoryStore(),
      // Every device connected, so the batch calls nothing: only what was kept is counted.
      io: { in: (rooms: string[]) => ({ fetchSockets: async () => rooms.map((r) => ({ data: { userId: r.slice(2).split('\n')[0], deviceId: r.split('\n')[1] } })) }) },
      log: { warn: (o: unknown) => void warnings.push(o) },
      reportError: () => {},
      track: <T>(p: Promise<T>) => p,
    } as unknown as Ctx
    const push = new PushDispatcher(ctx, (d) => void calls.push(d), 60_000, 5)
    const many = Array.from({ length: 5 + 2 }, (_, i) => ({ userId: `u${i}`, deviceId: 'd', inboxId: i + 1 }))
    push.note(message('c_big', 'e2ee'), many)
    push.note(message('c_big', 'e2ee'), many.slice(0, 1)) // a pending entry still takes the newest message
    await push.close()
    expect(warnings).toEqual([{ dropped: 2, limit: 5 }])
    expect(MAX_PENDING_PUSHES).toBe(50_000)
    expect(calls).toEqual([])
  })

  it('close() runs what is pending at once and takes nothing after', async () => {
    const calls: OfflineDelivery[] = []
    const w = world((d) => void calls.push(d), 60_000)
    w.push.note(message('c_c', 'server-side'), to(bob), body('bye'))
    await w.push.close()
    expect(calls.map((d) => d.preview?.text)).toEqual(['bye'])
    w.push.note(message('c_c', 'server-side'), to(bob), body('after'))
    await new Promise((r) => setTimeout(r, 10))
    expect(calls.length).toBe(1)
  })

  it('checks its options; previews are cut on a code point boundary', () => {
    expect(() => checkPushOptions({ onOfflineDelivery: 'x' })).toThrow(TypeError)
    expect(() => checkPushOptions({ pushCoalesceMs: -1 })).toThrow(RangeError)
    expect(() => checkPushOptions({ pushCoalesceMs: 1.5 })).toThrow(RangeError)
    expect(() => checkPushOptions({ pushCoalesceMs: 60_001 })).toThrow(RangeError)
    expect(() => checkPushOptions({ onOfflineDelivery: () => {}, pushCoalesceMs: 0 })).not.toThrow()
    const long = `${'a'.repeat(MAX_PUSH_PREVIEW_LENGTH - 1)}😀tail`
    const p = previewOf(body(long))
    expect(p).toEqual({ text: 'a'.repeat(MAX_PUSH_PREVIEW_LENGTH - 1), truncated: true, attachments: 0 })
    expect(previewOf({ ...body('👍'), ref: { kind: 'react', messageId: 'm1' } })).toEqual({ text: '👍', truncated: false, attachments: 0, ref: 'react' })
  })
})
