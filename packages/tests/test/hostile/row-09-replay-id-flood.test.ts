/**
 * Row 9, found in review — replay ids are kept per signed prekey for its whole life, so a peer
 * that starts session after session (one held bundle, no `keys.fetch` needed) could grow that
 * list without bound, on the current or on a replaced prekey still in its grace period.
 * Safe outcome: each signed prekey accepts at most ROTATE_AFTER_INITIAL_MESSAGES initial
 * messages; past that they are refused (`missing_session`, and an early rotation), the list
 * stays at the cap. Control: below the cap the same kind of initial message is accepted and
 * shown, and each refused one reaches bob (an error event per message).
 */
import { afterEach, expect, it } from 'vitest'
import { initiateSession } from '@parley/crypto'
import type { DeviceBundle } from '@parley/protocol'
import { DEFAULT_PREKEY_ROTATION_MS, memoryKeyStore, ROTATE_AFTER_INITIAL_MESSAGES, type ErrorPayload, type KeyStore, type Message, type ParleyClient } from '@parley/client'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'

let server: TestServer
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, server }))

it('initial messages on a replaced signed prekey stop at the cap; the replay list stays bounded', async () => {
  server = await startServer({ policy: 'default-e2ee' })
  let clock = Date.now()
  const bobInner = memoryKeyStore()
  const bobStore: KeyStore = { ...bobInner, close: async () => undefined }
  const got: Message[] = []
  const errors: ErrorPayload[] = []
  let bob!: ParleyClient
  const startBob = async () => {
    bob = await connect(server.url, 'bob', { keyStore: bobStore, now: () => clock })
    clients.push(bob)
    bob.on('message', (m) => void (m.status === 'received' && got.push(m)))
    bob.on('error', (e) => errors.push(e))
    await bob.whenReady(20_000)
  }
  const restartBob = async () => {
    clients.splice(clients.indexOf(bob), 1)
    await bob.close()
    await startBob()
  }
  await startBob()
  // mallory's key store swaps in a fresh PQXDH session (from ONE held bundle) after each send:
  // every message she sends is a new initial message.
  const mInner = memoryKeyStore()
  let bundle: DeviceBundle | null = null
  const mStore: KeyStore = {
    ...mInner,
    saveChanges: async (changes: any) => {
      if (bundle) {
        for (const k of Object.keys(changes)) {
          if (k.startsWith('session/bob/') && changes[k]) {
            const self = (await mInner.get('self')) as any
            changes[k] = { states: [await initiateSession({ ours: self.device, theirs: bundle })] }
          }
        }
      }
      return mInner.saveChanges(changes)
    },
  }
  const mallory = await connect(server.url, 'mallory', { keyStore: mStore })
  clients.push(mallory)
  const cm = await mallory.conversations.open('bob')
  await cm.send({ text: 'hi' })
  await waitFor(() => got.some((m) => m.text === 'hi'), 20_000, 'hi')
  let b: DeviceBundle
  do b = (await server.parley.store().claimBundles('bob'))!.bundles[0]!
  while (!b.kemPreKeyIsLastResort)
  const { oneTimePreKey: _o, ...withoutOneTime } = b
  const spk1 = b.signedPreKey.id
  clock += DEFAULT_PREKEY_ROTATION_MS + 1
  await restartBob() // rotates: spk1 is replaced, still in its grace period
  expect(((await bobInner.get('self')) as any).signedPreKeyId).toBe(spk1 + 1)
  // Stand-in for an earlier flood: spk1 one id short of its cap.
  const seen0 = (await bobInner.get('seen-initial')) as any
  await bobInner.set('seen-initial', { bySignedPreKey: { ...seen0.bySignedPreKey, [spk1]: Array.from({ length: ROTATE_AFTER_INITIAL_MESSAGES - 1 }, (_, i) => `f${i}-${'A'.repeat(40)}`) } })
  await restartBob()
  bundle = withoutOneTime as DeviceBundle
  await cm.send({ text: 'arm' }) // still on the old session; every later send starts a new one
  // Control: below the cap an initial message on spk1 is accepted and shown.
  await cm.send({ text: 'last one that fits' })
  await waitFor(() => got.some((m) => m.text === 'last one that fits'), 20_000, 'accepted below the cap')
  const before = errors.length
  for (let i = 0; i < 5; i++) await cm.send({ text: `flood ${i}` })
  await waitFor(() => errors.length - before >= 5, 20_000, 'each flood message reaches bob')
  expect(errors.slice(before).every((e) => e.error.code === 'missing_session')).toBe(true)
  expect(got.some((m) => m.text.startsWith('flood'))).toBe(false)
  const seen = (await bobInner.get('seen-initial')) as any
  expect(seen.bySignedPreKey[spk1].length).toBe(ROTATE_AFTER_INITIAL_MESSAGES)
}, 120_000)
