/**
 * Builds Parley's own fixed vectors from fixed seeds (`npx tsx --conditions=@parley/source
 * test/vectors/build.ts` rewrites parley.json). The test recomputes them with every provider.
 */
import { bytesToHex } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  bindFranking, decryptMessage, encryptMessage, frankMessage, initiateSession, MAX_FORWARD_JUMPS, safetyNumber, seededRandom, type CryptoProvider,
} from '../../src/index.js'
import { ctxAB, ctxBA, enc, noPreKeys, parties, seed } from '../_fixtures.js'

const digest = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)))

/** The vectors as plain JSON. Long ciphertexts are recorded in full. */
export async function buildVectors(provider: CryptoProvider) {
  const p = parties(7)
  const rA = seededRandom(seed(70))
  const rB = seededRandom(seed(71))
  let a = await initiateSession({ ours: p.alice, theirs: p.bundle, provider, random: rA })
  const initial = { stateSha256: digest(JSON.stringify(a)) }
  const transcript: { from: string; type: string; plaintext: string; ciphertext: string }[] = []
  let b
  const m1 = await encryptMessage({ state: a, plaintext: enc('hello bob'), context: ctxAB, provider })
  a = m1.state
  transcript.push({ from: 'alice', type: m1.type, plaintext: 'hello bob', ciphertext: m1.ciphertext })
  const d1 = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: m1.type, ciphertext: m1.ciphertext, context: ctxAB, provider, random: rB })
  b = d1.state
  const m2 = await encryptMessage({ state: b, plaintext: enc('hello alice'), context: ctxBA, provider })
  b = m2.state
  transcript.push({ from: 'bob', type: m2.type, plaintext: 'hello alice', ciphertext: m2.ciphertext })
  a = (await decryptMessage({ state: a, ours: p.alice, preKeys: noPreKeys, type: m2.type, ciphertext: m2.ciphertext, context: ctxBA, provider, random: rA })).state
  for (const text of ['third', 'fourth']) {
    const m = await encryptMessage({ state: a, plaintext: enc(text), context: ctxAB, provider })
    a = m.state
    transcript.push({ from: 'alice', type: m.type, plaintext: text, ciphertext: m.ciphertext })
  }
  // Version 2: the header MAC. 'fourth' with N rewritten to the largest allowed jump is
  // rejected on its header MAC (before any chain step); then Bob reads 'fourth' before 'third'.
  const fourth = Buffer.from(transcript[3]!.ciphertext, 'base64')
  fourth.writeUInt32BE(MAX_FORWARD_JUMPS, 1 + 32 + 4)
  const forgedJump = { ciphertext: fourth.toString('base64'), error: '' }
  try {
    await decryptMessage({ state: b, ours: p.bob, preKeys: noPreKeys, type: 'message', ciphertext: forgedJump.ciphertext, context: ctxAB, provider, random: rB })
  } catch (e) {
    forgedJump.error = (e as { code?: string }).code ?? String(e)
  }
  const outOfOrder: string[] = []
  for (const i of [3, 2]) {
    const d = await decryptMessage({ state: b, ours: p.bob, preKeys: noPreKeys, type: 'message', ciphertext: transcript[i]!.ciphertext, context: ctxAB, provider, random: rB })
    b = d.state
    outOfOrder.push(new TextDecoder().decode(d.plaintext))
  }
  const fr = seededRandom(seed(72))
  const msg = { text: 'report me', attachments: [] }
  const { nf, tf } = frankMessage(msg, fr)
  const { rf, kid } = bindFranking({ currentKid: 'k1', keys: { k1: new Uint8Array(32).fill(9) } }, {
    tf, sender: { userId: 'alice', deviceId: 'a1' }, conversationId: 'conv-1', seq: 42, ts: 1_700_000_000_000,
  })
  return {
    pqxdh: { bundleSignedPreKey: p.bundle.signedPreKey.publicKey, kemPreKeySha256: digest(p.bundle.kemPreKey.publicKey), ...initial },
    ratchet: { transcript, forgedJump, outOfOrder, finalStateSha256: { alice: digest(JSON.stringify(a)), bob: digest(JSON.stringify(b)) } },
    franking: { message: msg, nf, tf, rf, kid, frankingKeyHex: '09'.repeat(32), seq: 42, ts: 1_700_000_000_000 },
    safetyNumber: {
      a: { userId: 'alice', identityKey: p.alice.signing.publicKey },
      b: { userId: 'bob', identityKey: p.bob.signing.publicKey },
      ...safetyNumber({ userId: 'alice', identityKey: p.alice.signing.publicKey }, { userId: 'bob', identityKey: p.bob.signing.publicKey }),
    },
  }
}

if (process.argv[1]?.endsWith('build.ts')) {
  const { nobleProvider } = await import('../../src/index.js')
  const { writeFileSync } = await import('node:fs')
  const out = new URL('./parley.json', import.meta.url)
  writeFileSync(out, JSON.stringify(await buildVectors(nobleProvider), null, 2) + '\n')
}
