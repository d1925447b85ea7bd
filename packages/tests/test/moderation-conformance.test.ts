/**
 * Cross-mode moderation conformance (issue 8): the SAME test cases, unchanged, against a
 * server-side conversation, an optional-e2ee conversation before and after its upgrade, and a
 * default-e2ee conversation. The same plugin objects are installed on the server and on both
 * clients; each case asserts one expected outcome (a constant shared by every mode), and the
 * last block compares what every mode recorded, deep-equal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MessageBlockedError, PluginFailedError, type ModerationPlugin } from '@parley/protocol'
import { keywordFilter, PLUGIN_FAILED_REASON } from '@parley/moderation'
import { sha256Base64 } from '@parley/crypto'
import type { Conversation, Message } from '@parley/client'
import { waitFor } from './helpers/parley.js'
import { MODES, normalizeFlag, normalizeReport, received, startWorld, type World } from './helpers/moderation-world.js'

const blockWords = keywordFilter({ name: 'block-words', words: ['forbidden'], action: 'block', reason: 'matched a blocked term' })
const flagWords = keywordFilter({ name: 'flag-words', words: ['suspicious'], action: 'flag', reason: 'matched a watched term' })
/** Throws on one trigger, hangs past the timeout on another (honouring the abort signal). */
const faulty: ModerationPlugin = {
  name: 'faulty',
  version: '1.0.0',
  specificationVersion: 'v1',
  async checkOutgoing(msg, ctx) {
    if (msg.text.includes('trigger-throw')) throw new Error('plugin bug')
    if (msg.text.includes('trigger-hang')) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 60_000)
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return { action: 'allow' }
  },
}
const PLUGINS = [blockWords, flagWords, faulty]

const attachment = { name: 'note.txt', mime: 'text/plain', data: new TextEncoder().encode('attached bytes') }

/** What each mode recorded, compared across modes at the end. */
const recorded = new Map<string, Record<string, unknown>>()

describe.each(MODES)('moderation conformance: $name', (mode) => {
  let world: World
  let ca: Conversation // alice's side
  let cb: Conversation // bob's side
  const atBob: Message[] = []
  const outcome: Record<string, unknown> = {}
  recorded.set(mode.name, outcome)
  let fence = 0

  beforeAll(async () => {
    world = await startWorld({ mode, users: ['alice', 'bob'], plugins: PLUGINS })
    ;[ca, cb] = await world.open('alice', 'bob')
    cb.on('message', (m) => void atBob.push(m))
  }, 30_000)
  afterAll(async () => {
    await world?.close()
  })

  /** Sends an allowed message and waits for bob to get it: everything alice sent before has arrived. */
  async function deliveredUpToHere(): Promise<void> {
    const text = `fence ${++fence}`
    await ca.send({ text })
    await received(cb, text)
  }

  /** Sends `text` from alice, expecting a block; returns the error. */
  async function blocked(text: string): Promise<MessageBlockedError> {
    const error = await ca.send({ text }).then(() => null, (e: unknown) => e)
    expect(MessageBlockedError.isInstance(error)).toBe(true)
    return error as MessageBlockedError
  }

  it('a blocked message: MessageBlockedError with the same code, plugin and reason; nothing delivered', async () => {
    const error = await blocked('this is forbidden content')
    const seen = { code: error.code, details: error.details }
    expect(seen).toEqual({ code: 'message_blocked', details: { plugin: 'block-words', reason: 'matched a blocked term' } })
    await deliveredUpToHere()
    expect(atBob.some((m) => m.text.includes('forbidden'))).toBe(false)
    expect(await world.users.alice!.client.pendingCount()).toBe(0)
    expect(world.flags).toEqual([])
    outcome.blocked = seen
  }, 20_000)

  it('a flagged message is delivered and onFlag gets the same FlagEvent shape', async () => {
    const text = 'a suspicious offer'
    const ack = await ca.send({ text })
    const got = await received(cb, text)
    expect(got.id).toBe(ack.messageId)
    await waitFor(() => world.flags.length === 2, 10_000, 'two flags (outgoing and incoming)')
    const flags = [...world.flags].sort((x, y) => x.event.hook.localeCompare(y.event.hook))
    // Where the flag surfaces follows where plaintext exists; its shape does not.
    const where = mode.conversation === 'server-side' ? 'server' : 'client'
    expect(flags.map((f) => [f.at, f.event.where])).toEqual(
      where === 'server' ? [['server', 'server'], ['server', 'server']] : [['bob', 'client'], ['alice', 'client']],
    )
    for (const f of flags) {
      expect(f.event.conversationId).toBe(ca.id)
      expect(f.event.messageId).toBe(ack.messageId)
      expect(f.event.sender).toEqual({ userId: 'alice', deviceId: world.users.alice!.client.deviceId })
    }
    const shapes = flags.map((f) => normalizeFlag(f.event))
    const keys = ['conversationId', 'hook', 'messageId', 'plugin', 'reason', 'sender', 'where']
    expect(shapes).toEqual([
      { plugin: 'flag-words', reason: 'matched a watched term', hook: 'checkIncoming', sender: 'alice', keys },
      { plugin: 'flag-words', reason: 'matched a watched term', hook: 'checkOutgoing', sender: 'alice', keys },
    ])
    outcome.flagged = shapes
  }, 20_000)

  for (const [trigger, why] of [['trigger-throw', 'throws'], ['trigger-hang', 'times out']] as const) {
    it(`a plugin that ${why} fails closed: MessageBlockedError 'plugin failed' and an onError call`, async () => {
      const before = world.errors.length
      const error = await blocked(`please ${trigger} now`)
      const seen = { code: error.code, details: error.details }
      expect(seen).toEqual({ code: 'message_blocked', details: { plugin: 'faulty', reason: PLUGIN_FAILED_REASON } })
      await waitFor(() => world.errors.length > before, 10_000, 'onError')
      const failures = world.errors.slice(before).filter((e) => PluginFailedError.isInstance(e.error))
      expect(failures).toHaveLength(1)
      const failure = failures[0]!
      // The server's onError for server-side content; the sending client's 'error' event for E2EE.
      expect(failure.at).toBe(mode.conversation === 'server-side' ? 'server' : 'alice')
      if (failure.at === 'server') expect(failure.context).toMatchObject({ where: 'plugin' })
      const reported = { code: failure.error.code, details: failure.error.details }
      expect(reported).toEqual({ code: 'plugin_failed', details: { plugin: 'faulty', hook: 'checkOutgoing' } })
      // No message text in the failure.
      expect(failure.error.message.includes(trigger)).toBe(false)
      await deliveredUpToHere()
      expect(atBob.some((m) => m.text.includes(trigger))).toBe(false)
      outcome[why] = { blocked: seen, onError: reported }
    }, 20_000)
  }

  it('a report of the last 5: onReport gets a verified transcript, the same in every mode', async () => {
    const script: [Conversation, string, boolean][] = [
      [ca, 'report one', false], [cb, 'report two', true], [ca, 'report three', false], [cb, 'report four', false], [ca, 'report five', false],
    ]
    for (const [c, text, withAttachment] of script) {
      await c.send({ text, ...(withAttachment ? { attachments: [attachment] } : {}) })
      await received(c === ca ? cb : ca, text)
    }
    const result = await cb.report({ reason: 'harassment' })
    expect(result).toMatchObject({ duplicate: false, totalEntries: 5, verifiedEntries: 5 })
    await waitFor(() => world.reports.length === 1, 10_000, 'onReport')
    const report = world.reports[0]!
    expect(report.reportId).toBe(result.reportId)
    expect(report.conversationId).toBe(ca.id)
    expect(report.reporter).toEqual({ userId: 'bob', deviceId: world.users.bob!.client.deviceId })
    const seqs = report.entries.map((e) => e.seq)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i))
    const normalized = normalizeReport(report)
    const meta = { name: 'note.txt', mime: 'text/plain', size: attachment.data.length, sha256: sha256Base64(attachment.data) }
    expect(normalized).toEqual({
      reporter: 'bob',
      reason: 'harassment',
      entries: [
        { sender: 'alice', text: 'report one', attachments: [], verified: true },
        { sender: 'bob', text: 'report two', attachments: [meta], verified: true },
        { sender: 'alice', text: 'report three', attachments: [], verified: true },
        { sender: 'bob', text: 'report four', attachments: [], verified: true },
        { sender: 'alice', text: 'report five', attachments: [], verified: true },
      ],
      transcript: { verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 },
      keys: ['conversationId', 'entries', 'reason', 'receivedAt', 'reportId', 'reporter', 'transcript'],
      entryKeys: ['attachments', 'messageId', 'sender', 'seq', 'text', 'ts', 'verified'],
    })
    // Idempotent: the same report id again is the same single report.
    const again = await cb.report({ reason: 'harassment', reportId: result.reportId })
    expect(again).toEqual({ ...result, duplicate: true })
    expect(await world.parley.store().countReports()).toBe(1)
    expect(world.reports).toHaveLength(1)
    outcome.report = normalized
  }, 30_000)

  it('no unexpected errors surfaced anywhere', () => {
    const unexpected = world.errors.filter((e) => !PluginFailedError.isInstance(e.error))
    expect(unexpected.map((e) => `${e.at}: ${e.error.code}`)).toEqual([])
  })
})

describe('moderation conformance: across modes', () => {
  it('every mode recorded the same outcomes, deep-equal', () => {
    const [first, ...rest] = MODES.map((m) => [m.name, recorded.get(m.name)] as const)
    expect(Object.keys(first![1]!).sort()).toEqual(['blocked', 'flagged', 'report', 'throws', 'times out'])
    for (const [, outcome] of rest) expect(outcome).toEqual(first![1])
  })
})
