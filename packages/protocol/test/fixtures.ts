/** A valid example of every frame, both directions. Tests mutate these into malformed ones. */
import type { ClientEventName, ServerEventName } from '../src/index.js'
import { buildManifest } from '../src/index.js'

const b64 = (bytes: number, fill = 7) => {
  // Deterministic base64 of `bytes` bytes, built without Buffer.
  const arr = new Uint8Array(bytes).fill(fill)
  let s = ''
  for (const b of arr) s += String.fromCharCode(b)
  return btoa(s)
}
/** Unpadded base64url of `bytes` bytes, the first one `first` (a Web Push key). */
const b64url = (bytes: number, first = 7) => btoa(String.fromCharCode(first, ...new Uint8Array(bytes - 1).fill(7))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
export const KEY = b64(32)
export const SIG = b64(64)
export const KEM = b64(1184)
const modeChange = {
  conversationId: 'c_1', from: 'server-side', to: 'e2ee', userId: 'alice', deviceId: 'd1', ts: 1_700_000_000_000, signature: SIG,
}
const deviceList = { userId: 'alice', version: 1, devices: [{ deviceId: 'd1', signingKey: KEY, identityKey: KEY }], signature: SIG }
const disappearingSetting = { conversationId: 'c_1', ms: 60_000, version: 1, userId: 'alice', deviceId: 'd1', ts: 5, signature: SIG }
const franking = { tf: KEY, rf: KEY, kid: 'k1' }
const body = { text: 'hello', attachments: [{ name: 'a.txt', mime: 'text/plain', size: 3, sha256: KEY, data: b64(3) }], nf: KEY }
const delivery = {
  inboxId: 3, kind: 'message', messageId: 'm_1', conversationId: 'c_1', seq: 1, ts: 1_700_000_000_000,
  sender: { userId: 'alice', deviceId: 'd1' }, mode: 'server-side', body, franking,
}
const rosterRecord = {
  conversationId: 'c_1', version: 1, prev: 'A'.repeat(43) + '=', userId: 'alice', deviceId: 'd1', ts: 1_700_000_000_000, signature: SIG,
  change: { action: 'create', title: 'team', members: [{ userId: 'alice', role: 'admin' }, { userId: 'bob', role: 'member' }] },
}
const conversation = {
  id: 'c_1', kind: 'direct', members: ['alice', 'bob'], encryption: 'server-side', upgradeRequired: false, createdAt: 1, lastSeq: 0,
}

export const CLIENT_EXAMPLES: Record<ClientEventName, unknown> = {
  hello: { versions: [2], deviceId: 'd1', proof: { nonce: KEY, signature: SIG } },
  'hello.challenge': {},
  'device.register': {
    deviceId: 'd1', userIdentityKey: KEY, signingKey: KEY, identityKey: KEY, deviceList,
    signedPreKey: { id: 1, publicKey: KEY, signature: SIG },
    kemLastResortPreKey: { id: 2, publicKey: KEM, signature: SIG },
    oneTimePreKeys: [{ id: 10, publicKey: KEY }],
    kemOneTimePreKeys: [{ id: 20, publicKey: KEM, signature: SIG }],
  },
  'keys.publish': { oneTimePreKeys: [{ id: 11, publicKey: KEY }] },
  'devicelist.publish': { deviceList },
  'keys.fetch': { userId: 'bob' },
  'conversation.open': { peerUserId: 'bob' },
  'conversation.list': {},
  'devicelist.fetch': { userIds: ['alice', 'bob'] },
  'conversation.create': { record: rosterRecord },
  'roster.append': { record: { ...rosterRecord, version: 2, change: { action: 'add', userIds: ['carol'] } } },
  'roster.fetch': { conversationId: 'c_1', after: 1 },
  'mode.upgrade': { modeChange },
  'conversation.disappearing': { setting: disappearingSetting },
  'message.send': { conversationId: 'c_1', clientMessageId: 'cm_1', tf: KEY, mode: 'server-side', body },
  'message.delete': { conversationId: 'c_1', messageId: 'm_1' },
  'inbox.ack': { upTo: 12 },
  'inbox.sync': { after: 3, limit: 100 },
  'receipt.send': { conversationId: 'c_1', messageIds: ['m_1'], status: 'read' },
  'typing.send': { conversationId: 'c_1', typing: true },
  'history.fetch': { conversationId: 'c_1', before: 10, limit: 20 },
  'report.submit': {
    reportId: 'r_1', conversationId: 'c_1', reason: 'spam',
    entries: [{
      messageId: 'm_1', conversationId: 'c_1', seq: 1, ts: 1, sender: { userId: 'alice', deviceId: 'd1' }, text: 'hi',
      attachments: [], nf: KEY, tf: KEY, rf: KEY, kid: 'k1',
    }],
  },
  'link.request': { codeHash: KEY, deviceId: 'd2', ephemeralKey: KEY },
  'link.lookup': { codeHash: KEY },
  'link.complete': { codeHash: KEY, ephemeralKey: KEY, ciphertext: b64(100) },
  'block.add': { userId: 'mallory' },
  'block.remove': { userId: 'mallory' },
  'block.list': { after: 'carol', limit: 100 },
  'mute.set': { conversationId: 'c_1', muted: true },
  'mute.list': { limit: 50 },
  'request.list': { after: 'c_0' },
  'request.accept': { conversationId: 'c_1' },
  'request.decline': { conversationId: 'c_1' },
  'blob.put': { slot: 'backup', upload: 'u_1', index: 0, count: 2, data: b64(64) },
  'blob.get': { slot: 'transfer.abcdefghijklmnopqrstuv', index: 1 },
  'blob.delete': { slot: 'backup' },
  'push.register': { registration: { kind: 'web-push', id: 'p1', subscription: { endpoint: 'https://push.example/send/abc', keys: { p256dh: b64url(65, 4), auth: b64url(16) } } } },
  'push.unregister': { id: 'p1' },
}

/** A second valid `message.send`, in e2ee form, so both variants are covered. */
export const E2EE_SEND = {
  conversationId: 'c_1', clientMessageId: 'cm_2', tf: KEY, mode: 'e2ee',
  envelopes: [{ userId: 'bob', deviceId: 'd9', type: 'prekey', ciphertext: b64(200) }],
  attachments: [{ id: 'att1', ciphertext: b64(64) }],
}

export const SERVER_EXAMPLES: Record<ServerEventName, unknown> = {
  manifest: buildManifest({ policy: 'optional-e2ee', requiredPlugins: [{ name: 'keyword-filter', version: '1.0.0' }] }),
  message: delivery,
  receipt: { conversationId: 'c_1', messageIds: ['m_1'], status: 'delivered', from: { userId: 'bob', deviceId: 'd9' }, ts: 5 },
  typing: { conversationId: 'c_1', from: { userId: 'bob', deviceId: 'd9' }, typing: false },
  mode: { conversationId: 'c_1', encryption: 'e2ee', modeChange, seq: 4 },
  disappearing: { setting: disappearingSetting },
  notice: { kind: 'mode_changed', conversationId: 'c_1', encryption: 'e2ee', by: 'alice', ts: 9 },
  conversation,
  'message.deleted': { conversationId: 'c_1', messageId: 'm_1', by: { userId: 'alice', deviceId: 'd1' }, ts: 7 },
  'keys.low': { oneTimePreKeys: 3, kemOneTimePreKeys: 1, threshold: 10 },
  'devicelist.changed': { userId: 'alice', version: 2, ts: 3 },
  'link.payload': { codeHash: KEY, ephemeralKey: KEY, ciphertext: b64(100) },
  goodbye: { code: 'server_restarting', retryAfterMs: 500 },
  'block.changed': { userId: 'mallory', blocked: true, ts: 11 },
  'mute.changed': { conversationId: 'c_1', muted: false, ts: 12 },
  'request.changed': { conversationId: 'c_1', userId: 'erin', state: 'pending', ts: 13 },
  error: { code: 'rate_limited', message: 'slow down', details: { retryAfterMs: 100 } },
}
