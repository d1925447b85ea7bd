/**
 * Unread counts kept incrementally (receipts/unread.ts): new incoming messages past the last
 * count add to it; anything else recounts from the log. A seeded random walk over arrivals in
 * and out of order, outgoing messages, messages that arrive deleted, actions, deletes, expiries
 * and read-marker moves checks after every step that the kept count equals a recount of the log;
 * the control shows the incremental path ran (a catch-up in order lists the log once, not once
 * per message).
 */
import { describe, expect, it } from 'vitest'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { JsonValue, KeyStore } from '../src/key-store/key-store.js'
import { Emitter } from '../src/emitter.js'
import type { ClientCore } from '../src/core.js'
import { K, type StoredMessage } from '../src/store-layout.js'
import { toMessage } from '../src/messages/message-log.js'
import { RK } from '../src/receipts/receipt-book.js'
import { countUnread, UnreadCounts } from '../src/receipts/unread.js'
import type { ClientEvents } from '../src/types.js'
import { prng } from './helpers/prng.js'

const conv = 'c1'
const me = 'me'

function world() {
  const inner = memoryKeyStore()
  let listings = 0
  const store: KeyStore = Object.assign(Object.create(inner) as KeyStore, {
    keys: (prefix: string) => {
      if (prefix === K.messagePrefix(conv)) listings++
      return inner.keys(prefix)
    },
  })
  const events = new Emitter<ClientEvents>((e) => { throw e })
  const core = { store, events, self: () => ({ userId: me, deviceId: 'd1' }) } as unknown as ClientCore
  const emitted: number[] = []
  const unread = new UnreadCounts(core, () => undefined)
  events.on('unread', (p) => void emitted.push(p.count))
  const row = (seq: number, extra: Partial<StoredMessage> = {}): StoredMessage => ({
    id: `m${seq}`, conversationId: conv, seq, ts: seq, sender: { userId: extra.outgoing ? me : 'peer', deviceId: 'p1' }, outgoing: false,
    text: `t${seq}`, attachments: [], encryption: 'e2ee', nf: '', tf: `tf${seq}`, rf: '', kid: '', ...extra,
  })
  const put = (m: StoredMessage) => store.set(K.message(conv, m.seq), m as unknown as JsonValue)
  const settle = async () => { for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r)) }
  return { store, events, unread, emitted, row, put, settle, listings: () => listings }
}

describe('unread counts', () => {
  it('a catch-up in order counts each new message without listing the log again (control)', async () => {
    const w = world()
    expect(w.unread.get({ id: conv } as never)).toBe(0)
    await w.settle()
    const before = w.listings()
    for (let seq = 0; seq < 500; seq++) {
      const m = w.row(seq)
      await w.put(m)
      w.events.emit('message', toMessage(m))
      if (seq % 50 === 49) await w.settle()
    }
    await w.settle()
    expect(w.unread.get({ id: conv } as never)).toBe(500)
    expect(w.emitted.at(-1)).toBe(500)
    expect(w.listings() - before).toBe(0)
    // An update (an edit, a delete) recounts: the listing is the proof the recount ran.
    const deleted = w.row(10, { deleted: { by: { userId: 'peer', deviceId: 'p1' }, at: 1, seq: 600 } })
    await w.put(deleted)
    w.events.emit('update', toMessage(deleted))
    await w.settle()
    expect(w.listings() - before).toBe(1)
    expect(w.unread.get({ id: conv } as never)).toBe(499)
  })

  it.each(Array.from({ length: 40 }, (_, i) => i + 1))('random walk %i: the kept count always equals a recount of the log', async (seed) => {
    const w = world()
    const rand = prng(seed)
    const pick = (n: number) => Math.floor(rand() * n)
    const held = new Map<number, StoredMessage>()
    let next = 0
    w.unread.get({ id: conv } as never)
    for (let step = 0; step < 80; step++) {
      const r = rand()
      if (r < 0.45) { // a new incoming message, sometimes already deleted, sometimes after a gap
        next += 1 + (rand() < 0.2 ? pick(3) : 0)
        const m = w.row(next, rand() < 0.1 ? { deleted: { by: { userId: 'peer', deviceId: 'p1' }, at: 1, seq: next } } : {})
        held.set(m.seq, m); await w.put(m)
        w.events.emit('message', toMessage(m))
      } else if (r < 0.55) { // an older seq arriving late (a gap filled)
        const seq = pick(next + 1)
        if (held.has(seq)) continue
        const m = w.row(seq); held.set(seq, m); await w.put(m)
        w.events.emit('message', toMessage(m))
      } else if (r < 0.62) { // this user's own message
        next++
        const m = w.row(next, { outgoing: true }); held.set(m.seq, m); await w.put(m)
        w.events.emit('message', toMessage(m))
      } else if (r < 0.7) { // an action: stored at its own seq, shown as an update of its target
        next++
        const m = w.row(next, { ref: { kind: 'edit', messageId: 'm1', tf: 'tf1' } as StoredMessage['ref'] }); held.set(m.seq, m); await w.put(m)
        w.events.emit('update', toMessage(w.row(1)))
      } else if (r < 0.78 && held.size) { // a delete for everyone of a held message
        const seq = [...held.keys()][pick(held.size)]!
        const m = { ...held.get(seq)!, deleted: { by: { userId: 'peer', deviceId: 'p1' }, at: 2, seq: next } }
        held.set(seq, m); await w.put(m)
        w.events.emit('update', toMessage(m))
      } else if (r < 0.85 && held.size) { // an expiry removes a message
        const seq = [...held.keys()][pick(held.size)]!
        held.delete(seq); await w.store.delete(K.message(conv, seq))
        w.events.emit('expired', { conversationId: conv, messageIds: [`m${seq}`] } as never)
      } else if (r < 0.93) { // the read marker moves (this device read, as markRead does)
        await w.store.set(RK.readMarker(conv), pick(next + 1))
        void w.unread.refresh(conv)
      } // else: nothing happens this step
      if (rand() < 0.5) await w.settle() // events pile up between runs half of the time
      await w.settle()
      const truth = await countUnread(w.store, conv, me)
      expect(w.unread.get({ id: conv } as never), `seed ${seed}, step ${step}`).toBe(truth.count)
    }
  })

  it('a count that fails (the store threw) leaves no stale tally: the next message recounts', async () => {
    const w = world()
    w.unread.get({ id: conv } as never)
    for (let seq = 0; seq < 3; seq++) {
      const m = w.row(seq); await w.put(m); w.events.emit('message', toMessage(m))
    }
    await w.settle()
    expect(w.unread.get({ id: conv } as never)).toBe(3)
    // A delete of seq 1 is announced, but reading the store fails during that run.
    const deleted = w.row(1, { deleted: { by: { userId: 'peer', deviceId: 'p1' }, at: 1, seq: 9 } })
    await w.put(deleted)
    const get = w.store.get.bind(w.store)
    let failing = true
    ;(w.store as { get: KeyStore['get'] }).get = (async (key: string) => {
      if (failing) throw new Error('store unavailable')
      return get(key)
    }) as KeyStore['get']
    w.events.emit('update', toMessage(deleted))
    await w.settle()
    failing = false
    // The next new message must not be added to the tally from before the failed run.
    const m = w.row(3); await w.put(m); w.events.emit('message', toMessage(m))
    await w.settle()
    expect(w.unread.get({ id: conv } as never)).toBe((await countUnread(w.store, conv, me)).count)
    expect(w.unread.get({ id: conv } as never)).toBe(3)
  })
})

