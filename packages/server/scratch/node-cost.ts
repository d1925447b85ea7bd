// Node-side cost of appendBatch pieces, without the DB: decideBatch + writeParams-like JSON
import { addr, bind, pairIn, plain } from '../src/store/_contract-fixtures.js'
import { memoryStore } from '../src/store/memory-store.js'
const store = memoryStore()
const { a, c } = await pairIn(store, 'server-side', 1, 1)
const mk = () => { const m = plain(c.id, addr(a, 0)); m.sealedBody = { kid: 'd1', data: 'x'.repeat(200) }; return m }
const N = 300, B = 32
let batches = Array.from({ length: N }, () => Array.from({ length: B }, mk))
let c0 = process.cpuUsage(); for (let i = 0; i < N; i++) Array.from({ length: B }, mk); let cu = process.cpuUsage(c0); console.log('fixture mk', ((cu.user + cu.system) / N / B).toFixed(1), 'µs/msg')
