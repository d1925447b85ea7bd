/**
 * The catch-up figure: one device offline while N E2EE messages arrive for it, then it
 * reconnects — ms until all N are decrypted and emitted — beside its two parts done by the
 * baselines in the same run: libsignal decrypting N messages of an established session
 * (native Rust, in memory), and the raw relay delivering N plain messages sent at once.
 */
import * as S from '@signalapp/libsignal-client'
import type { ParleyClient } from '@parley/client'
import { libsignalEstablish, libsignalSetup } from '../crypto/libsignal.js'
import { client, keptKeyStore, rawSend, rawSocket, TEXT } from './harness.js'

/** Messages sent with at most this many awaiting their ack while the device is offline. */
const SEND_WINDOW = 100
const CATCH_UP_TIMEOUT_MS = 300_000

function received(c: ParleyClient, count: number, skip: (text: string) => boolean): Promise<void> {
  let got = 0
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`catch-up: ${got} of ${count} after ${CATCH_UP_TIMEOUT_MS} ms`)), CATCH_UP_TIMEOUT_MS)
    c.on('message', (m) => {
      if (m.status !== 'received' || skip(m.text)) return
      if (++got === count) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}

/** Parley: ms from the offline device's reconnect until `count` messages were decrypted and emitted. */
export async function parleyCatchUp(url: string, count: number, tag: string): Promise<number> {
  const [aliceId, bobId] = [`catchup-a-${tag}`, `catchup-b-${tag}`]
  const alice = await client(url, aliceId)
  const bobKeys = keptKeyStore()
  let bob = await client(url, bobId, bobKeys)
  const toBob = await alice.conversations.open(bobId)
  // Sessions both ways first: what arrives during the catch-up are ordinary ratchet messages.
  const warm = received(bob, 1, () => false)
  await toBob.send({ text: 'warm-up' })
  await warm
  const back = received(alice, 1, () => false)
  await (await bob.conversations.open(aliceId)).send({ text: 'reply' })
  await back
  await bob.close()

  let next = 0
  await Promise.all(Array.from({ length: SEND_WINDOW }, async () => {
    while (next < count) {
      next++
      await toBob.send({ text: `${next}:${TEXT}` })
    }
  }))

  const start = performance.now()
  bob = await client(url, bobId, bobKeys)
  await received(bob, count, (text) => text === 'warm-up')
  const ms = performance.now() - start
  await bob.close()
  await alice.close()
  return ms
}

/** libsignal: ms to decrypt `count` messages of an established session, encrypted beforehand. */
export async function libsignalDecrypt(count: number): Promise<number> {
  const s = await libsignalSetup()
  await libsignalEstablish(s)
  const plaintext = new TextEncoder().encode(`0:${TEXT}`)
  const sealed: Uint8Array<ArrayBuffer>[] = []
  for (let i = 0; i < count; i++) sealed.push((await S.signalEncrypt(plaintext, s.bob.addr, s.alice.addr, s.alice.sessions, s.alice.id)).serialize())
  const start = performance.now()
  for (const ct of sealed) await S.signalDecrypt(S.SignalMessage.deserialize(ct), s.alice.addr, s.bob.addr, s.bob.sessions, s.bob.id)
  return performance.now() - start
}

/** Raw relay: ms from the first send until `count` plain messages, all sent at once, were delivered. */
export async function rawBurst(url: string, count: number, tag: string): Promise<number> {
  const a = await rawSocket(url, `burst-a-${tag}`)
  const b = await rawSocket(url, `burst-b-${tag}`)
  let got = 0
  const all = new Promise<void>((resolve) => b.on('msg', () => void (++got === count && resolve())))
  const start = performance.now()
  const acks = Array.from({ length: count }, (_, i) => rawSend(a, `burst-b-${tag}`, { i, text: TEXT }))
  await all
  const ms = performance.now() - start
  await Promise.all(acks)
  a.close()
  b.close()
  return ms
}
