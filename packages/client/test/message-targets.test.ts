/**
 * The local side of decision 0021 (src/messages/), on a bare key store: a reference resolves
 * by commitment in a constant number of reads (a bogus one never scans the log); edits are
 * ordered by their franked version whatever order they are stored in, and bounded; reactions
 * are bounded per user; a replayed action is not applied twice; a deleted message's content
 * is kept out of the UI for the report window, then wiped by the sweep. End-to-end behaviour
 * is in packages/tests (row-18-message-targets, messages-conformance).
 */
import { describe, expect, it } from 'vitest'
import { MAX_EDITS_PER_MESSAGE, MAX_REACTIONS_PER_USER, REPORT_EVIDENCE_WINDOW_MS, type MessageRef } from '@parley/protocol'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { KeyStore } from '../src/key-store/key-store.js'
import { toMessage, toReportEntry } from '../src/messages/message-log.js'
import { takeSnapshot, readSnapshot } from '../src/backup/snapshot.js'
import { sweepEvidence } from '../src/messages/evidence.js'
import { findMessage, type Changes } from '../src/messages/find-message.js'
import { receiveMessage } from '../src/messages/receive.js'
import type { StoredMessage } from '../src/store-layout.js'

const conv = 'c1'
const alice = { userId: 'alice', deviceId: 'a1' }
const bob = { userId: 'bob', deviceId: 'b1' }
const T0 = 1_700_000_000_000
const tf = (n: number) => { const b = Buffer.alloc(32, 0xaa); b.writeUInt32BE(n); return b.toString('base64') }

let nextSeq = 0
function msg(text: string, sender = alice, ref?: MessageRef, n = ++nextSeq): StoredMessage {
  return {
    id: `m${n}`, conversationId: conv, seq: n, ts: T0 + n, sender, outgoing: false, text, attachments: [], encryption: 'e2ee',
    nf: tf(0), tf: tf(n), rf: tf(0), kid: 'k', ...(ref ? { ref } : {}),
  }
}

async function receive(store: KeyStore, m: StoredMessage, now = m.ts) {
  const changes: Changes = {}
  const r = await receiveMessage(store, changes, m, now)
  await store.saveChanges(changes)
  return r
}

/** A key store that counts reads and key listings. */
function counting(store: KeyStore) {
  const n = { get: 0, keys: 0 }
  const wrapped: KeyStore = Object.assign(Object.create(store) as KeyStore, {
    get: (k: string) => { n.get++; return store.get(k) },
    keys: (p?: string) => { n.keys++; return store.keys(p) },
  })
  return { store: wrapped, n }
}

describe('message targets (decision 0021)', () => {
  it('a bogus reference costs a constant number of reads, never a log scan', async () => {
    const base = memoryKeyStore()
    for (let i = 0; i < 200; i++) await receive(base, msg(`filler ${i}`))
    const { store, n } = counting(base)
    const bogus = msg('👍', bob, { kind: 'react', messageId: 'm_nope', tf: tf(250), version: 1 })
    const r = await receive(store, bogus)
    expect(r).toMatchObject({ applied: { nothing: true } })
    expect(n.keys).toBe(0)
    expect(n.get).toBeLessThanOrEqual(6)
    // Control: the same 200-message log, a genuine target, is found by the same index.
    const target = (await findMessage(base, conv, 'm100'))!
    expect(await receive(base, msg('👍', bob, { kind: 'react', messageId: 'm100', tf: target.tf, version: 1 }))).toMatchObject({ applied: { target: { id: 'm100' } } })
  })

  it('edits are ordered by version, whatever order they arrive in; the bound holds', async () => {
    const store = memoryKeyStore()
    const original = msg('v0')
    await receive(store, original)
    const edit = (v: number) => msg(`v${v}`, alice, { kind: 'edit', messageId: original.id, tf: original.tf, version: v })
    const [e1, e2, e3] = [edit(1), edit(2), edit(3)]
    for (const e of [e3, e1, e2]) await receive(store, e)
    const shown = toMessage((await findMessage(store, conv, original.id))!)
    expect([shown.text, shown.versions?.map((v) => v.text)]).toEqual(['v3', ['v0', 'v1', 'v2']])
    expect((await findMessage(store, conv, original.id))!.editSeqs).toEqual([e1.seq, e2.seq, e3.seq])
    // An edit without a version (a pre-0021 or modified client) is refused.
    expect(await receive(store, msg('vx', alice, { kind: 'edit', messageId: original.id, tf: original.tf }))).toMatchObject({ applied: { error: { code: 'message_ref_mismatch' } } })
    for (let v = 4; v <= MAX_EDITS_PER_MESSAGE; v++) await receive(store, edit(v))
    const over = await receive(store, msg('one too many', alice, { kind: 'edit', messageId: original.id, tf: original.tf, version: MAX_EDITS_PER_MESSAGE }))
    expect(over).toMatchObject({ applied: { error: { code: 'action_limit', details: { limit: 'edits' } } } })
    expect(toMessage((await findMessage(store, conv, original.id))!).text).toBe(`v${MAX_EDITS_PER_MESSAGE}`)
  })

  it('reactions are bounded per user; a replayed action is applied once', async () => {
    const store = memoryKeyStore()
    const target = msg('react to me')
    await receive(store, target)
    const emojis = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎', '😍', '😘', '🥰', '😗', '😙', '🥲', '😚', '🙂', '🤗']
    expect(emojis.length).toBe(MAX_REACTIONS_PER_USER + 1)
    let v = 0
    for (const e of emojis.slice(0, MAX_REACTIONS_PER_USER)) await receive(store, msg(e, bob, { kind: 'react', messageId: target.id, tf: target.tf, version: ++v }))
    const over = await receive(store, msg(emojis[MAX_REACTIONS_PER_USER]!, bob, { kind: 'react', messageId: target.id, tf: target.tf, version: ++v }))
    expect(over).toMatchObject({ applied: { error: { code: 'action_limit', details: { limit: 'reactions' } } } })
    // Unreact, then the server replays the old reaction (same commitment, a new seq): not applied.
    const unreact = msg('😀', bob, { kind: 'unreact', messageId: target.id, tf: target.tf, version: ++v })
    await receive(store, unreact)
    const firstReact = (await findMessage(store, conv, `m${target.seq + 1}`))!
    const replay = await receive(store, { ...firstReact, id: 'm_replay', seq: ++nextSeq })
    expect(replay).toMatchObject({ applied: { nothing: true } })
    expect((await findMessage(store, conv, target.id))!.reactions?.bob).not.toContain('😀')
  })

  it('a react and an unreact apply in their franked order, whatever order they arrive in', async () => {
    const store = memoryKeyStore()
    const target = msg('order')
    await receive(store, target)
    const react = msg('👍', bob, { kind: 'react', messageId: target.id, tf: target.tf, version: 1 })
    const unreact = msg('👍', bob, { kind: 'unreact', messageId: target.id, tf: target.tf, version: 2 })
    await receive(store, unreact) // the server delivers the later one first
    expect(await receive(store, react)).toMatchObject({ applied: { nothing: true } })
    expect((await findMessage(store, conv, target.id))!.reactions?.bob).toBeUndefined()
    // Control: in order, the reaction shows.
    const other = msg('order, too')
    await receive(store, other)
    await receive(store, msg('👍', bob, { kind: 'react', messageId: other.id, tf: other.tf, version: 1 }))
    expect((await findMessage(store, conv, other.id))!.reactions?.bob).toEqual(['👍'])
    // A reaction without its number (a pre-0021 or modified client) is refused.
    expect(await receive(store, msg('🎉', bob, { kind: 'react', messageId: other.id, tf: other.tf }))).toMatchObject({ applied: { error: { code: 'message_ref_mismatch' } } })
  })

  it('a deleted message leaves the UI but its content stays reportable for the window, then is wiped', async () => {
    const store = memoryKeyStore()
    const original = msg('what I received')
    const edit = msg('what it became', alice, { kind: 'edit', messageId: original.id, tf: original.tf, version: 1 })
    const tomb = msg('', alice, { kind: 'delete', messageId: original.id, tf: original.tf })
    for (const m of [original, edit, tomb]) await receive(store, m)
    const held = (await findMessage(store, conv, original.id))!
    expect(toMessage(held)).toMatchObject({ text: '', attachments: [], deleted: { by: alice } })
    expect(JSON.stringify(toMessage(held))).not.toContain('what I received')
    const inWindow = tomb.ts + REPORT_EVIDENCE_WINDOW_MS - 1
    expect(toReportEntry(held, inWindow)).toMatchObject({ text: 'what I received', deleted: true })
    expect(toReportEntry((await findMessage(store, conv, edit.id))!, inWindow)).toMatchObject({ text: 'what it became', deleted: true, ref: { kind: 'edit' } })
    // Control: the sweep before the window ends wipes nothing.
    let changes: Changes = {}
    expect(await sweepEvidence(store, inWindow, changes)).toBe(0)
    const after = tomb.ts + REPORT_EVIDENCE_WINDOW_MS + 1
    expect(toReportEntry(held, after)).toMatchObject({ text: '', deleted: true }) // never sent once due
    changes = {}
    expect(await sweepEvidence(store, after, changes)).toBe(2)
    await store.saveChanges(changes)
    expect((await findMessage(store, conv, original.id))!.kept).toBeUndefined()
    expect((await findMessage(store, conv, edit.id))!.kept).toBeUndefined()
    expect(await store.keys('evidence/')).toEqual([])
  })

  it('a restored or linked log gets its indexes back (the snapshot carries the log only)', async () => {
    const from = memoryKeyStore()
    const original = msg('restored')
    const gone = msg('deleted before the backup')
    for (const m of [original, gone, msg('', alice, { kind: 'delete', messageId: gone.id, tf: gone.tf })]) await receive(from, m)
    const bytes = await takeSnapshot(from, { kind: 'transfer', userId: 'alice', now: T0 })
    const to = memoryKeyStore()
    const { changes } = readSnapshot(bytes, { kind: 'transfer', userId: 'alice' })
    await to.saveChanges(changes)
    expect(await findMessage(to, conv, original.id)).toMatchObject({ text: 'restored' })
    expect(await receive(to, msg('👍', bob, { kind: 'react', messageId: 'wrong-id-hint', tf: original.tf, version: 1 }))).toMatchObject({ applied: { target: { id: original.id } } })
    // The kept content of the deleted message is swept on the new device too.
    expect((await to.keys('evidence/')).length).toBe(1)
  })

  it('a restored log keeps the first holder of a commitment: a later copy does not take over its deletion (review of 0021)', async () => {
    const from = memoryKeyStore()
    const original = msg('said by alice')
    // bob re-sends alice's opening: the same commitment at a later seq (stored, never indexed live).
    const copy = { ...msg('said by alice', bob), tf: original.tf }
    for (const m of [original, copy]) await receive(from, m)
    const to = memoryKeyStore()
    await to.saveChanges(readSnapshot(await takeSnapshot(from, { kind: 'transfer', userId: 'alice', now: T0 }), { kind: 'transfer', userId: 'alice' }).changes)
    const del = await receive(to, msg('', alice, { kind: 'delete', messageId: 'hint', tf: original.tf }))
    expect(del).toMatchObject({ applied: { target: { id: original.id } } })
    expect((await findMessage(to, conv, original.id))!.deleted).toBeTruthy()
  })

  it('a log written without indexes is indexed once, then every lookup is O(1)', async () => {
    const base = memoryKeyStore()
    const old = Array.from({ length: 50 }, (_, i) => msg(`old ${i}`))
    await base.saveChanges(Object.fromEntries(old.map((m) => [`msg/${conv}/${String(m.seq).padStart(16, '0')}`, m as never])))
    const { store, n } = counting(base)
    expect(await receive(store, msg('👍', bob, { kind: 'react', messageId: old[7]!.id, tf: old[7]!.tf, version: 1 }))).toMatchObject({ applied: { target: { id: old[7]!.id } } })
    expect(n.keys).toBe(1) // the one scan
    n.keys = 0
    n.get = 0
    expect(await receive(store, msg('👍', bob, { kind: 'react', messageId: 'm_nope', tf: tf(251), version: 1 }))).toMatchObject({ applied: { nothing: true } })
    expect(n.keys).toBe(0)
    expect(n.get).toBeLessThanOrEqual(6)
  })

  it('an edit and a tombstone that arrive before their target apply when it arrives (review of 0021)', async () => {
    const store = memoryKeyStore()
    const edited = msg('first text')
    const edit = msg('second text', alice, { kind: 'edit', messageId: edited.id, tf: edited.tf, version: 1 })
    const gone = msg('to be deleted')
    const tomb = msg('', alice, { kind: 'delete', messageId: gone.id, tf: gone.tf })
    // The server delivers the actions first: nothing to apply yet (control: they are held, not lost).
    expect(await receive(store, edit)).toMatchObject({ applied: { nothing: true } })
    expect(await receive(store, tomb)).toMatchObject({ applied: { nothing: true } })
    expect((await store.keys('msgpend/')).length).toBe(2)
    const r1 = await receive(store, edited)
    expect('message' in r1 && toMessage(r1.message).text).toBe('second text')
    const r2 = await receive(store, gone)
    expect('message' in r2 && toMessage(r2.message)).toMatchObject({ text: '', deleted: { by: alice } })
    expect(await store.keys('msgpend/')).toEqual([])
    // A message under the same id but another commitment does not collect a waiting action.
    const other = msg('x')
    await receive(store, msg('', alice, { kind: 'delete', messageId: 'mX', tf: tf(999) }))
    const r3 = await receive(store, { ...other, id: 'mX' })
    expect('message' in r3 && toMessage(r3.message).deleted).toBeFalsy()
  })
})
