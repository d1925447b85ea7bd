import { describe, expect, it } from 'vitest'
import { GroupCommitter } from '../src/group-commit.js'
import type { AppendOutcome, NewMessage, ParleyStore } from '../src/store/store.js'

/** A store whose appends finish only when the test says so; records what each batch held. */
function gatedStore() {
  const batches: { ids: string[]; finish: () => void }[] = []
  const store = {
    kind: 'postgres',
    appendMessages: (batch: NewMessage[]) =>
      new Promise<AppendOutcome[]>((resolve) => {
        batches.push({ ids: batch.map((m) => m.id), finish: () => resolve(batch.map(() => ({ ok: true, duplicate: false, message: {} as never, recipients: [] }))) })
      }),
  } as unknown as ParleyStore
  return { store, batches }
}
const msg = (id: string): NewMessage => ({ id, conversationId: `c-${id}`, sender: { userId: 'u', deviceId: 'd' }, clientMessageId: id, mode: 'server-side', tf: '' })
const tick = () => new Promise((r) => setTimeout(r, 5))

describe('GroupCommitter', () => {
  it('commits batches for disjoint users at once, holds overlapping ones back in order, runs keyless sends alone', async () => {
    const { store, batches } = gatedStore()
    const gc = new GroupCommitter(store, () => ({ tf: '', rf: '', kid: 'k' }), Date.now, () => undefined, 256, 4)
    const done: string[] = []
    const send = (id: string, keys?: string[]) => void gc.append(msg(id), keys).then(() => done.push(id))
    send('a1', ['alice', 'bob'])
    await tick()
    send('c1', ['carol', 'dave']) // disjoint: starts beside a1
    send('a2', ['alice', 'bob']) // overlaps a1: waits
    send('e1', ['bob', 'erin']) // overlaps a1 (bob): waits
    send('f1', ['frank', 'gina']) // disjoint from everything: joins c1's batch
    await tick()
    expect(batches.map((b) => b.ids)).toEqual([['a1'], ['c1', 'f1']])
    batches[1]!.finish()
    await tick()
    expect(done).toEqual(['c1', 'f1'])
    expect(batches).toHaveLength(2) // a2 and e1 still wait for a1
    batches[0]!.finish()
    await tick()
    expect(batches[2]!.ids).toEqual(['a2', 'e1'])
    send('x1') // no keys: waits for everything, then runs alone
    send('g1', ['gina'])
    await tick()
    expect(batches).toHaveLength(3)
    batches[2]!.finish()
    await tick()
    expect(batches[3]!.ids).toEqual(['x1', 'g1'])
    batches[3]!.finish()
    await tick()
    expect(done).toEqual(['c1', 'f1', 'a1', 'a2', 'e1', 'x1', 'g1'])
  })

  it('runAlone: waits for committing batches that share a key, runs alone, and later sends sharing a key wait for it', async () => {
    const { store, batches } = gatedStore()
    const gc = new GroupCommitter(store, () => ({ tf: '', rf: '', kid: 'k' }), Date.now, () => undefined, 256, 4)
    const done: string[] = []
    const send = (id: string, keys: string[]) => void gc.append(msg(id), keys).then(() => done.push(id))
    let finishTask!: () => void
    send('a1', ['alice', 'bob'])
    await tick()
    const task = gc.runAlone(['alice', 'bob'], () => {
      done.push('task started')
      return new Promise<string>((r) => (finishTask = () => r('upgraded')))
    })
    send('a2', ['alice', 'bob']) // queued after the task: waits for it
    send('c1', ['carol']) // disjoint: commits at once
    await tick()
    expect(batches.map((b) => b.ids)).toEqual([['a1'], ['c1']])
    expect(done).not.toContain('task started')
    batches[0]!.finish()
    await tick()
    expect(done).toContain('task started')
    expect(batches).toHaveLength(2) // a2 waits for the task
    finishTask()
    expect(await task).toBe('upgraded')
    await tick()
    expect(batches[2]!.ids).toEqual(['a2'])
    batches[2]!.finish()
    batches[1]!.finish()
    await tick()
    expect(done.indexOf('a1')).toBeLessThan(done.indexOf('task started'))
    expect(done.indexOf('task started')).toBeLessThan(done.indexOf('a2'))
  })

  it('runAlone rejects as its function does and releases its keys', async () => {
    const { store, batches } = gatedStore()
    const gc = new GroupCommitter(store, () => ({ tf: '', rf: '', kid: 'k' }), Date.now, () => undefined, 256, 4)
    await expect(gc.runAlone(['alice'], () => Promise.reject(new Error('nope')))).rejects.toThrow('nope')
    void gc.append(msg('a1'), ['alice'])
    await tick()
    expect(batches.map((b) => b.ids)).toEqual([['a1']])
  })

  it('bounds a batch by bytes as well as by count: large sends commit a few at a time, a lone oversize send alone', async () => {
    const { store, batches } = gatedStore()
    const budget = 1_000
    const gc = new GroupCommitter(store, () => ({ tf: '', rf: '', kid: 'k' }), Date.now, () => undefined, 256, 1, budget)
    const big = (id: string, chars: number): NewMessage => ({ ...msg(id), sealedBody: { kid: 'dk', data: 'A'.repeat(chars) } })
    void gc.append(big('first', 10))
    await tick() // 'first' commits alone; everything below queues behind it
    for (let i = 0; i < 6; i++) void gc.append(big(`b${i}`, 400))
    void gc.append(big('huge', 5_000))
    for (let i = 0; i < 3; i++) void gc.append(msg(`s${i}`))
    await tick()
    const sizes = () => batches.map((b) => b.ids)
    for (let n = 0; n < 6; n++) {
      batches[n]!.finish()
      await tick()
    }
    expect(sizes()).toEqual([['first'], ['b0', 'b1'], ['b2', 'b3'], ['b4', 'b5'], ['huge'], ['s0', 's1', 's2']])
    // Control: with the default budget the same queue is one batch after 'first'.
    const loose = gatedStore()
    const gc2 = new GroupCommitter(loose.store, () => ({ tf: '', rf: '', kid: 'k' }), Date.now, () => undefined, 256, 1)
    void gc2.append(big('first', 10))
    await tick()
    for (let i = 0; i < 6; i++) void gc2.append(big(`b${i}`, 400))
    await tick()
    loose.batches[0]!.finish()
    await tick()
    expect(loose.batches.map((b) => b.ids)).toEqual([['first'], ['b0', 'b1', 'b2', 'b3', 'b4', 'b5']])
  })

  it('the byte budget applies to batches beside committing ones (disjoint users) too', async () => {
    const { store, batches } = gatedStore()
    const gc = new GroupCommitter(store, () => ({ tf: '', rf: '', kid: 'k' }), Date.now, () => undefined, 256, 2, 1_000)
    const big = (id: string): NewMessage => ({ ...msg(id), envelopes: [{ userId: 'u', deviceId: 'd', type: 'message', ciphertext: 'A'.repeat(600) }] })
    void gc.append(big('a1'), ['alice'])
    await tick()
    void gc.append(big('c1'), ['carol'])
    void gc.append(big('d1'), ['dave'])
    await tick()
    expect(batches.map((b) => b.ids)).toEqual([['a1'], ['c1']])
  })
})
