import { describe, expect, it } from 'vitest'
import { MessageBlockedError, PluginFailedError, type HookContext, type ModerationPlugin, type Verdict } from '@parley/protocol'
import { createPipeline, flagEvents, verdictToError, PLUGIN_FAILED_REASON } from '../src/index.js'
import { ctx, envelope, message, report } from './fixtures.js'

const plugin = (name: string, verdict: Verdict | (() => unknown), calls?: string[]): ModerationPlugin => ({
  name,
  version: '1.0.0',
  checkOutgoing() {
    calls?.push(name)
    return typeof verdict === 'function' ? (verdict() as Verdict) : verdict
  },
})

describe('createPipeline: verdict resolution', () => {
  it('allows when every plugin allows, running them in order', async () => {
    const calls: string[] = []
    const p = createPipeline({ plugins: [plugin('a', { action: 'allow' }, calls), plugin('b', { action: 'allow' }, calls)] })
    expect(await p.checkOutgoing(message('hi'), ctx())).toEqual({ action: 'allow', flags: [] })
    expect(calls).toEqual(['a', 'b'])
  })

  it('first block wins and stops later plugins', async () => {
    const calls: string[] = []
    const p = createPipeline({
      plugins: [
        plugin('a', { action: 'flag', reason: 'meh' }, calls),
        plugin('b', { action: 'block', reason: 'no' }, calls),
        plugin('c', { action: 'block', reason: 'also no' }, calls),
      ],
    })
    const v = await p.checkOutgoing(message('hi'), ctx())
    expect(v).toEqual({ action: 'block', reason: 'no', plugin: 'b', flags: [{ action: 'flag', reason: 'meh', plugin: 'a' }] })
    expect(calls).toEqual(['a', 'b'])
  })

  it('collects every flag and resolves to the first', async () => {
    const p = createPipeline({ plugins: [plugin('a', { action: 'flag', reason: 'one' }), plugin('b', { action: 'allow' }), plugin('c', { action: 'flag', reason: 'two' })] })
    expect(await p.checkOutgoing(message('hi'), ctx())).toEqual({
      action: 'flag',
      reason: 'one',
      plugin: 'a',
      flags: [
        { action: 'flag', reason: 'one', plugin: 'a' },
        { action: 'flag', reason: 'two', plugin: 'c' },
      ],
    })
  })

  it('awaits async hooks and runs only the requested hook', async () => {
    const seen: HookContext[] = []
    const p = createPipeline({
      plugins: [
        {
          name: 'async',
          version: '1',
          async checkIncoming(_m, c) {
            seen.push(c)
            await new Promise((r) => setTimeout(r, 5))
            return { action: 'block', reason: 'late' }
          },
          checkOutgoing: () => ({ action: 'flag', reason: 'out' }),
        },
      ],
    })
    expect(await p.checkIncoming(message('x'), ctx({ where: 'client' }))).toMatchObject({ action: 'block', plugin: 'async', reason: 'late' })
    expect(await p.checkEnvelope(envelope(), ctx())).toEqual({ action: 'allow', flags: [] })
    expect(seen).toHaveLength(1)
    expect(seen[0]!.hook).toBe('checkIncoming')
    expect(seen[0]!.where).toBe('client')
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal)
    expect(seen[0]!.signal.aborted).toBe(false)
  })

  it('strips extra fields a plugin puts on its verdict', async () => {
    const p = createPipeline({ plugins: [plugin('a', () => ({ action: 'block', reason: 'r', plugin: 'forged', secret: 1 }))] })
    expect(await p.checkOutgoing(message('hi'), ctx())).toEqual({ action: 'block', reason: 'r', plugin: 'a', flags: [] })
  })

  it('is deterministic: the same inputs give deep-equal verdicts on server and client', async () => {
    const make = () => createPipeline({ plugins: [plugin('a', { action: 'flag', reason: 'f' }), plugin('b', { action: 'block', reason: 'b' })] })
    const server = await make().checkOutgoing(message('x'), ctx({ where: 'server' }))
    const client = await make().checkOutgoing(message('x'), ctx({ where: 'client', mode: 'e2ee' }))
    expect(client).toEqual(server)
  })
})

describe('createPipeline: failures', () => {
  const failing: Array<[string, () => ModerationPlugin['checkOutgoing'], RegExp]> = [
    ['a throw', () => () => { throw new Error('boom') }, /threw/],
    ['an async rejection', () => async () => { throw new Error('boom') }, /threw/],
    ['a timeout', () => () => new Promise<Verdict>(() => {}), /timed out/],
    ['an invalid verdict', () => () => ({ action: 'nope' }) as unknown as Verdict, /invalid verdict/],
    ['a block without reason', () => () => ({ action: 'block' }) as unknown as Verdict, /invalid verdict/],
    ['undefined', () => () => undefined as unknown as Verdict, /invalid verdict/],
    ['an over-long reason', () => () => ({ action: 'flag', reason: 'x'.repeat(10_000) }), /invalid verdict/],
  ]

  for (const [what, hook, message_] of failing) {
    it(`${what} fails closed and reaches onError`, async () => {
      const errors: PluginFailedError[] = []
      const calls: string[] = []
      const p = createPipeline({
        plugins: [{ name: 'bad', version: '1', checkOutgoing: hook() }, plugin('after', { action: 'allow' }, calls)],
        timeoutMs: 50,
        onError: (e) => errors.push(e),
      })
      const v = await p.checkOutgoing(message('hello'), ctx())
      expect(v).toEqual({ action: 'block', reason: PLUGIN_FAILED_REASON, plugin: 'bad', flags: [] })
      expect(calls).toEqual([])
      expect(errors).toHaveLength(1)
      expect(PluginFailedError.isInstance(errors[0])).toBe(true)
      expect(errors[0]!.details).toEqual({ plugin: 'bad', hook: 'checkOutgoing' })
      expect(errors[0]!.message).toMatch(message_)
      expect(errors[0]!.message).not.toContain('hello')
    })

    it(`${what} with failClosed: false allows and still reaches onError`, async () => {
      const errors: PluginFailedError[] = []
      const p = createPipeline({
        plugins: [{ name: 'bad', version: '1', checkOutgoing: hook() }, plugin('after', { action: 'flag', reason: 'f' })],
        timeoutMs: 50,
        failClosed: false,
        onError: (e) => errors.push(e),
      })
      expect(await p.checkOutgoing(message('hello'), ctx())).toMatchObject({ action: 'flag', plugin: 'after' })
      expect(errors).toHaveLength(1)
    })
  }

  it('aborts the hook signal on timeout and ignores the late verdict', async () => {
    let signal: AbortSignal | undefined
    let release!: () => void
    const p = createPipeline({
      plugins: [
        {
          name: 'slow',
          version: '1',
          checkEnvelope: async (_e, c) => {
            signal = c.signal
            await new Promise<void>((r) => (release = r))
            return { action: 'allow' }
          },
        },
      ],
      timeoutMs: 30,
    })
    const v = await p.checkEnvelope(envelope(), ctx())
    expect(v).toMatchObject({ action: 'block', plugin: 'slow' })
    expect(signal?.aborted).toBe(true)
    release()
  })

  it('survives an onError that throws, and a missing onError', async () => {
    const bad: ModerationPlugin = { name: 'bad', version: '1', checkOutgoing: () => { throw new Error('x') } }
    const p1 = createPipeline({ plugins: [bad], onError: () => { throw new Error('handler broke') } })
    expect(await p1.checkOutgoing(message('x'), ctx())).toMatchObject({ action: 'block' })
    const p2 = createPipeline({ plugins: [bad] })
    expect(await p2.checkOutgoing(message('x'), ctx())).toMatchObject({ action: 'block' })
  })

  it('keeps the thrown error as cause', async () => {
    const boom = new RangeError('boom')
    const errors: PluginFailedError[] = []
    const p = createPipeline({ plugins: [{ name: 'bad', version: '1', checkOutgoing: () => { throw boom } }], onError: (e) => errors.push(e) })
    await p.checkOutgoing(message('x'), ctx())
    expect(errors[0]!.cause).toBe(boom)
  })
})

describe('createPipeline: onReport', () => {
  it('runs every onReport, reports failures and never throws', async () => {
    const got: string[] = []
    const errors: PluginFailedError[] = []
    const p = createPipeline({
      plugins: [
        { name: 'a', version: '1', onReport: (r) => void got.push(`a:${r.reportId}`) },
        { name: 'b', version: '1', onReport: () => { throw new Error('sink down') } },
        { name: 'c', version: '1', onReport: async (r, c) => void got.push(`c:${r.reportId}:${c.hook}`) },
        { name: 'd', version: '1', onReport: () => new Promise(() => {}) },
      ],
      reportTimeoutMs: 30,
      onError: (e) => errors.push(e),
    })
    await expect(p.onReport(report(), ctx())).resolves.toBeUndefined()
    expect(got.sort()).toEqual(['a:r1', 'c:r1:onReport'])
    expect(errors.map((e) => e.details).sort((x, y) => x.plugin.localeCompare(y.plugin))).toEqual([
      { plugin: 'b', hook: 'onReport' },
      { plugin: 'd', hook: 'onReport' },
    ])
  })
})

describe('createPipeline: onModerationAction', () => {
  const action = { at: 1, actor: 'mod-ann', action: 'suspend_user' as const, target: 'u1', reason: 'spam', details: { until: 5 } }
  it('runs every hook with the report timeout, reports failures and never throws', async () => {
    const got: string[] = []
    const errors: PluginFailedError[] = []
    const p = createPipeline({
      plugins: [
        { name: 'a', version: '1', onModerationAction: (x, c) => void got.push(`a:${x.action}:${x.target}:${c.hook}`) },
        { name: 'b', version: '1', onModerationAction: () => { throw new Error('ticketing down') } },
        { name: 'c', version: '1', onModerationAction: () => new Promise(() => {}) },
        { name: 'd', version: '1', onReport: () => void got.push('d: must not run') },
      ],
      reportTimeoutMs: 30,
      onError: (e) => errors.push(e),
    })
    await expect(p.onModerationAction(action, ctx())).resolves.toBeUndefined()
    expect(got).toEqual(['a:suspend_user:u1:onModerationAction'])
    expect(errors.map((e) => e.details).sort((x, y) => x.plugin.localeCompare(y.plugin))).toEqual([
      { plugin: 'b', hook: 'onModerationAction' },
      { plugin: 'c', hook: 'onModerationAction' },
    ])
  })
  it('refuses a plugin whose onModerationAction is not a function', () => {
    expect(() => createPipeline({ plugins: [{ name: 'x', version: '1', onModerationAction: 'yes' as never }] })).toThrow(/"plugins\[0\]\.onModerationAction" expected a function/)
  })
})

describe('createPipeline: manifest helpers', () => {
  const p = createPipeline({
    plugins: [
      plugin('content', { action: 'allow' }),
      { name: 'meta', version: '2', checkEnvelope: () => ({ action: 'allow' }) },
      { name: 'incoming', version: '3', checkIncoming: () => ({ action: 'allow' }) },
      { name: 'sink', version: '4', onReport: () => {} },
    ],
  })

  it('requiredPlugins lists only plugins with content hooks', () => {
    expect(p.requiredPlugins()).toEqual([
      { name: 'content', version: '1.0.0' },
      { name: 'incoming', version: '3' },
    ])
  })

  it('missingPlugins matches name and version exactly', () => {
    expect(p.missingPlugins([{ name: 'content', version: '1.0.0' }])).toEqual([])
    expect(p.missingPlugins([{ name: 'content', version: '1.0.1' }, { name: 'other', version: '1' }, { name: 'meta', version: '2' }])).toEqual([
      { name: 'content', version: '1.0.1' },
      { name: 'other', version: '1' },
    ])
  })
})

describe('createPipeline: option checks', () => {
  it('rejects bad options with typed errors naming the argument', () => {
    expect(() => createPipeline({ plugins: 'x' as never })).toThrow(TypeError)
    expect(() => createPipeline({ plugins: [{ name: '', version: '1' }] })).toThrow(/plugins\[0\]\.name/)
    expect(() => createPipeline({ plugins: [{ name: 'a', version: 'v'.repeat(65) }] })).toThrow(/plugins\[0\]\.version/)
    expect(() => createPipeline({ plugins: [{ name: 'a', version: '1' }, { name: 'a', version: '2' }] })).toThrow(/duplicates/)
    expect(() => createPipeline({ plugins: [], timeoutMs: 0 })).toThrow(RangeError)
    expect(() => createPipeline({ plugins: [], timeoutMs: Number.NaN })).toThrow(TypeError)
    expect(() => createPipeline({ plugins: [{ name: 'a', version: '1', checkOutgoing: 5 as never }] })).toThrow(/checkOutgoing/)
  })
})

describe('verdictToError and flagEvents', () => {
  it('turns a block into MessageBlockedError with plugin and reason', () => {
    const e = verdictToError({ action: 'block', reason: 'no', plugin: 'kw', flags: [] })
    expect(MessageBlockedError.isInstance(e)).toBe(true)
    expect(e!.code).toBe('message_blocked')
    expect(e!.details).toEqual({ plugin: 'kw', reason: 'no' })
    expect(verdictToError({ action: 'allow', flags: [] })).toBeNull()
    expect(verdictToError({ action: 'flag', reason: 'f', plugin: 'p', flags: [] })).toBeNull()
  })

  it('builds one FlagEvent per flag', () => {
    const v = { action: 'flag', reason: 'a', plugin: 'p', flags: [{ action: 'flag', reason: 'a', plugin: 'p' }, { action: 'flag', reason: 'b', plugin: 'q' }] } as const
    const events = flagEvents({ ...v, flags: [...v.flags] }, { hook: 'checkIncoming', where: 'client', conversationId: 'c1', sender: { userId: 'u', deviceId: 'd' }, messageId: 'm' })
    expect(events).toEqual([
      { plugin: 'p', reason: 'a', hook: 'checkIncoming', where: 'client', conversationId: 'c1', sender: { userId: 'u', deviceId: 'd' }, messageId: 'm' },
      { plugin: 'q', reason: 'b', hook: 'checkIncoming', where: 'client', conversationId: 'c1', sender: { userId: 'u', deviceId: 'd' }, messageId: 'm' },
    ])
  })
})
