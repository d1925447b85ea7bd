/**
 * One benchmark column (noble, native or libsignal) in its own process, driven over IPC by
 * index.ts: its own heap and garbage collector, so one library's garbage is never collected in
 * another's slice (in one shared process it was: a library's figure depended on its neighbour).
 * Messages: `{ id, op, sliceMs }` → `{ id, reps }` (how many ops fit in a slice, after a
 * warm-up); `{ id, op, reps }` → `{ id, ms }`; `{ id, op: 'reestablish' }` → `{ id }`.
 */
import { nobleProvider, nodeNativeProvider } from '@parley/crypto'
import { libsignalOps, parleyOps, type ColumnOps, type OpName } from './ops.js'

/** The three columns. */
export type ColumnName = 'noble' | 'native' | 'libsignal'
/** A request to a column process. */
export type ColumnRequest = { id: number; op: OpName; sliceMs: number } | { id: number; op: OpName; reps: number } | { id: number; op: 'reestablish' }
/** A column process's answer. */
export interface ColumnReply { id: number; reps?: number; ms?: number }

async function serve(name: ColumnName): Promise<void> {
  const column: ColumnOps = name === 'libsignal' ? await libsignalOps() : await parleyOps(name === 'noble' ? nobleProvider : nodeNativeProvider())
  process.on('message', async (m: ColumnRequest) => {
    const reply = (r: Omit<ColumnReply, 'id'>) => process.send!({ id: m.id, ...r })
    if (m.op === 'reestablish') {
      await column.reestablish()
      return reply({})
    }
    const op = column.ops[m.op]
    if ('sliceMs' in m) {
      for (let i = 0; i < 3; i++) await op()
      const start = performance.now()
      let n = 0
      while (performance.now() - start < m.sliceMs) { await op(); n++ }
      return reply({ reps: Math.max(1, n) })
    }
    const start = performance.now()
    for (let k = 0; k < m.reps; k++) await op()
    reply({ ms: performance.now() - start })
  })
  process.send!({ id: 0 })
}

if (process.send && process.argv[2]) await serve(process.argv[2] as ColumnName)
