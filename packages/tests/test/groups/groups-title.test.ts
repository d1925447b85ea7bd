/**
 * Issue 16, decision 0022: an E2EE group's title is encrypted to the members. In every policy
 * (optional-e2ee after its upgrade) a group is created, renamed, joined and left; each member
 * shows the current title; a member added later reads the current title; a removed member's
 * device cannot open a title set after its removal, even handed the record (hostile server),
 * while a remaining member's device can (control). Everything the server handed its store (every
 * argument of every store call: a superset of every row any backend writes, see
 * `helpers/recording-store.ts`) and every line it logged (pino, trace) is then searched for the
 * titles — raw, base64, hex: an E2EE group's sealed titles are nowhere; a server-side group's
 * readable title is found (the control that the scan sees titles at all). Last, a modified
 * client signs the other kind of title for the group's mode (readable in E2EE, sealed in
 * server-side): refused, nothing stored; control: the right kind on the same raw path is stored.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { openGroupTitle, sealGroupTitle, signRosterRecord, type DeviceIdentity } from '@parley/crypto'
import type { RosterRecord } from '@parley/protocol'
import { memoryStore } from '@parley/server'
import { waitFor } from '../helpers/parley.js'
import { memoryLogger, rawDevice } from '../helpers/moderation-world.js'
import { holds } from '../helpers/plaintext-scan.js'
import { recordingStore } from '../helpers/recording-store.js'
import { POLICIES, groupWorld, type GroupWorld, type Member } from './_group-world.js'

const tag = randomBytes(4).toString('hex')
const sentinel = (what: string) => `TITLE-${what}-${tag}`

const deviceOf = async (m: Member) => ((await m.keyStore.get('self')) as unknown as { device: DeviceIdentity }).device
const me = async (m: Member) => ({ userId: m.userId, deviceId: m.client.deviceId, identity: (await deviceOf(m)).identity })

describe.each(POLICIES)('group titles (%s)', (policy) => {
  let w: GroupWorld | undefined
  afterAll(async () => w?.close())

  it('members read the title; a later member reads it; a removed member cannot; the server holds none of an E2EE title', async () => {
    const calls: { method: string; args: unknown[] }[] = []
    const logs: string[] = []
    w = await groupWorld(policy, { store: recordingStore(memoryStore(), calls), logger: memoryLogger(logs) })
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => w!.join(u)))
    const e2ee = policy !== 'server-side'
    // optional-e2ee: a title set before the upgrade is readable (the group was server-side); only later ones are sealed.
    const first = policy === 'optional-e2ee' ? 'before-upgrade' : sentinel('created')
    const ga = await alice!.client.conversations.create({ members: ['bob', 'carol'], title: first })
    if (policy === 'optional-e2ee') await ga.upgradeToE2EE()
    const gb = await w.side('bob', ga.id)
    const gc = await w.side('carol', ga.id)
    await waitFor(() => gb.encryption === ga.encryption && gc.encryption === ga.encryption, 10_000, 'members pin the mode')
    expect([ga.title, gb.title, gc.title]).toEqual([first, first, first])

    const renamed = sentinel('renamed')
    await ga.setTitle(renamed)
    await waitFor(() => gb.title === renamed && gc.title === renamed, 10_000, 'the rename reaches every member')

    // A member added later reads the current title (sealed to its devices in the add record).
    await ga.add(['dave'])
    const gd = await w.side('dave', ga.id)
    await waitFor(() => gd.members.includes('dave') && gd.title === renamed, 10_000, 'dave reads the current title')

    // carol is removed; the next title is sealed to the remaining members only.
    await ga.remove(['carol'])
    await waitFor(() => !gc.members.includes('carol') && !gb.members.includes('carol'), 10_000, 'carol removed everywhere')
    const after = sentinel('after-removal')
    await ga.setTitle(after)
    await waitFor(() => gb.title === after && gd.title === after, 10_000, 'the new title reaches the remaining members')
    expect(gc.title).toBe(renamed)

    // A hostile server hands carol the record anyway: her device cannot open it; bob's can (control).
    const rows = await w.store.rosterRecords(ga.id, 0, 100)
    const last = rows[rows.length - 1]!.record as RosterRecord
    expect(last.change.action).toBe('title')
    const ctx = { conversationId: ga.id, version: last.version }
    if (e2ee) {
      const sealed = (last.change as Extract<RosterRecord['change'], { action: 'title' }>).sealedTitle!
      expect(sealed.keys.map((k) => k.userId).sort()).toEqual(['alice', 'bob', 'dave'])
      expect(openGroupTitle(sealed, ctx, await me(carol!))).toBeNull()
      // Even relabelling bob's copy of the key as carol's gives her nothing.
      const relabelled = { ...sealed, keys: sealed.keys.map((k) => (k.userId === 'bob' ? { ...k, userId: 'carol', deviceId: carol!.client.deviceId } : k)) }
      expect(openGroupTitle(relabelled, ctx, await me(carol!))).toBeNull()
      expect(openGroupTitle(sealed, ctx, await me(bob!))).toBe(after)
    } else {
      expect(last.change).toMatchObject({ title: after })
    }

    // The scan: every argument of every store call, every log line.
    expect(logs.length).toBeGreaterThan(0) // the capture works
    expect(calls.some((c) => c.method === 'appendRoster')).toBe(true)
    const titles = [renamed, after, ...(policy === 'default-e2ee' ? [first] : [])]
    for (const secret of titles) {
      const where = [...new Set(calls.filter((c) => holds(c.args, secret)).map((c) => c.method))]
      const inLogs = logs.filter((l) => holds(l, secret)).length
      if (e2ee) expect({ secret, where, inLogs }).toEqual({ secret, where: [], inLogs: 0 })
      else expect(where).toContain('appendRoster') // control: a readable title is found in the roster records the store is given
    }
    if (policy === 'optional-e2ee') expect(calls.filter((c) => holds(c.args, first)).map((c) => c.method)).toContain('createGroup') // the pre-upgrade title was readable, and the scan finds it
    expect([alice, bob, dave].flatMap((m) => m!.errors.map((e) => e.error.code))).toEqual([])

    // A modified client signs the other kind of title for this group's mode: refused before anything is stored.
    const raw = await rawDevice(w.server.url, 'alice', alice!.keyStore)
    try {
      const roster = (ga as any)._roster as { version: number; head: string }
      const probe = sentinel('modified-client')
      const change = e2ee
        ? { action: 'title' as const, title: probe }
        : { action: 'title' as const, title: '', sealedTitle: sealGroupTitle(probe, { conversationId: ga.id, version: roster.version + 1 }, [{ userId: 'bob', deviceId: bob!.client.deviceId, identityKey: (await me(bob!)).identity.publicKey }]) }
      const record = signRosterRecord(await deviceOf(alice!), { conversationId: ga.id, version: roster.version + 1, prev: roster.head, change, userId: 'alice', deviceId: alice!.client.deviceId, ts: Date.now() })
      // The signed chain states E2EE here (a create or add record), so the shared rule refuses a
      // readable title outright (`invalid_change`; the server's `stale` is for a chain that does not).
      expect(await raw.request('roster.append', { record })).toMatchObject({ ok: false, error: { code: 'roster_rejected', details: { reason: 'invalid_change' } } })
      expect((await w.store.rosterState(ga.id))!.version).toBe(roster.version)
      // Control: the same raw path with the right kind of title is stored.
      const right = e2ee
        ? { action: 'title' as const, title: '', sealedTitle: sealGroupTitle('sealed via raw', { conversationId: ga.id, version: roster.version + 1 }, [{ userId: 'bob', deviceId: bob!.client.deviceId, identityKey: (await me(bob!)).identity.publicKey }]) }
        : { action: 'title' as const, title: 'readable via raw' }
      if (e2ee) {
        // Keys for an invented device of a member: refused by the server (records stay small).
        const bobKey = { userId: 'bob', deviceId: bob!.client.deviceId, identityKey: (await me(bob!)).identity.publicKey }
        const padded = { action: 'title' as const, title: '', sealedTitle: sealGroupTitle('padded', { conversationId: ga.id, version: roster.version + 1 }, [bobKey, { ...bobKey, deviceId: 'invented-device' }]) }
        expect(await raw.request('roster.append', { record: signRosterRecord(await deviceOf(alice!), { ...record, change: padded }) })).toMatchObject({ ok: false, error: { code: 'roster_rejected', details: { reason: 'invalid_change' } } })
        expect((await w.store.rosterState(ga.id))!.version).toBe(roster.version)
      }
      const ok = signRosterRecord(await deviceOf(alice!), { ...record, change: right })
      expect(await raw.request('roster.append', { record: ok })).toMatchObject({ ok: true })
      await waitFor(() => gb.title === (e2ee ? 'sealed via raw' : 'readable via raw'), 10_000, 'bob applies the raw record')
    } finally {
      raw.close()
    }
  }, 60_000)
})

describe('group titles: a creator with minimumMode e2ee under optional-e2ee', () => {
  let w: GroupWorld | undefined
  afterAll(async () => w?.close())

  it('sets the title only after its upgrade, sealed: the server never holds it', async () => {
    const calls: { method: string; args: unknown[] }[] = []
    const logs: string[] = []
    w = await groupWorld('optional-e2ee', { store: recordingStore(memoryStore(), calls), logger: memoryLogger(logs) })
    const alice = await w.join('alice', false, { minimumMode: 'e2ee' })
    const bob = await w.join('bob')
    const secret = sentinel('minimum-mode')
    const ga = await alice.client.conversations.create({ members: ['bob'], title: secret })
    expect([ga.encryption, ga.title]).toEqual(['e2ee', secret])
    const gb = await w.side('bob', ga.id)
    await waitFor(() => gb.title === secret, 10_000, 'bob reads the title')
    expect(calls.some((c) => c.method === 'createGroup') && logs.length > 0).toBe(true) // the capture works
    expect(calls.filter((c) => holds(c.args, secret)).map((c) => c.method)).toEqual([])
    expect(logs.filter((l) => holds(l, secret))).toEqual([])
    expect([...alice.errors, ...bob.errors].map((e) => e.error.code)).toEqual([])
  }, 30_000)
})
