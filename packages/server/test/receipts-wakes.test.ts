/**
 * Which sends wake offline devices (decision 0019, docs/push.md): none flagged `silent`, and
 * no readable receipt even without the flag; every other message does (the end-to-end test is
 * packages/tests/test/receipts/receipts-push.test.ts).
 */
import { describe, expect, it } from 'vitest'
import type { MessageSend } from '@parley/protocol'
import { wakesOffline } from '../src/receipts/wakes.js'

const tf = 'A'.repeat(43) + '='
const readable = (ref?: { kind: string; messageId: string }, silent?: true): MessageSend =>
  ({ conversationId: 'c1', clientMessageId: 'm1', tf, mode: 'server-side', ...(silent ? { silent } : {}), body: { text: '', attachments: [], nf: tf, ...(ref ? { ref } : {}) } }) as MessageSend
const e2ee = (silent?: true): MessageSend =>
  ({ conversationId: 'c1', clientMessageId: 'm1', tf, mode: 'e2ee', ...(silent ? { silent } : {}), envelopes: [{ userId: 'bob', deviceId: 'd1', type: 'message', ciphertext: 'AA==' }], attachments: [] }) as MessageSend

describe('wakesOffline', () => {
  it('a message, a reply and an action wake; a silent send or a readable receipt does not', () => {
    expect(wakesOffline(readable())).toBe(true)
    expect(wakesOffline(readable({ kind: 'reply', messageId: 'x' }))).toBe(true)
    expect(wakesOffline(readable({ kind: 'react', messageId: 'x' }))).toBe(true)
    expect(wakesOffline(e2ee())).toBe(true)
    expect(wakesOffline(e2ee(true))).toBe(false)
    expect(wakesOffline(readable(undefined, true))).toBe(false)
    expect(wakesOffline(readable({ kind: 'read', messageId: 'x' }))).toBe(false)
    expect(wakesOffline(readable({ kind: 'delivered', messageId: 'x' }))).toBe(false)
  })
})
