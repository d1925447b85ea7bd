import { pickProvider, bindFranking, frankMessage } from '@parley/crypto'
import { sealBody } from '../src/context.js'
import { parseClientFrame, checkClientFrameBounds } from '@parley/protocol'
const crypto = await pickProvider()
const ctx: any = { dataKeys: { currentKid: 'd1', keys: { d1: new Uint8Array(32).fill(2) } }, crypto }
const { nf, tf } = frankMessage({ text: 'x'.repeat(64), attachments: [] })
const body = { text: 'x'.repeat(64), attachments: [], nf }
const frame = { conversationId: 'c_00000000-0000-0000-0000-000000000000', clientMessageId: 'abcdef0123456789', tf, mode: 'server-side', body }
const t = (label: string, f: () => unknown, n = 50000) => { for (let i = 0; i < 5000; i++) f(); const c0 = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const c = process.cpuUsage(c0); console.log(label.padEnd(20), ((c.user + c.system) / n).toFixed(2), 'µs') }
for (let k = 0; k < 2; k++) {
  t('sealBody', () => sealBody(ctx, 'c_00000000-0000-0000-0000-000000000000', 'm_0f0e1b7e-1111-2222-3333-444455556666', body))
  t('bounds', () => checkClientFrameBounds('message.send', frame))
  t('parse (incl bounds)', () => parseClientFrame('message.send', frame))
  t('JSON.stringify body', () => JSON.stringify(body))
}
import { nodeNativeProvider } from '@parley/crypto'
const sym: any = crypto
const key = new Uint8Array(32).fill(3), nonce = new Uint8Array(24).fill(4), data = new Uint8Array(150).fill(5)
console.log('provider', Object.keys(sym))
t('xchacha20 150B', () => sym.xchacha20(key, nonce, data))
t('hmac 4 parts', () => sym.hmacSha256(key, new Uint8Array(8), data.subarray(0, 90), nonce, data))
t('randomUUID', () => globalThis.crypto.randomUUID())
