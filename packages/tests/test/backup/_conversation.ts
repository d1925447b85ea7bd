/**
 * What the backup and history-transfer tests start from: alice and bob (connected to `url`)
 * exchange `rounds` pairs of messages in a 1:1 conversation in the policy's mode (upgraded to
 * E2EE under `optional-e2ee`), until alice holds them all.
 */
import type { Policy } from '@parley/protocol'
import type { ParleyClient } from '@parley/client'
import { connect, fullHistory, waitFor } from '../helpers/parley.js'

export async function aliceAndBobTalk(url: string, policy: Policy, rounds: number, text: (from: 'alice' | 'bob', i: number) => string, clients: ParleyClient[]) {
  const alice = await connect(url, 'alice')
  const bob = await connect(url, 'bob')
  clients.push(alice, bob)
  const toBob = await alice.conversations.open('bob')
  if (policy === 'optional-e2ee') await toBob.upgradeToE2EE()
  const toAlice = await bob.conversations.open('alice')
  const texts: string[] = []
  for (let i = 0; i < rounds; i++) {
    texts.push(text('alice', i), text('bob', i))
    await toBob.send({ text: text('alice', i) })
    await toAlice.send({ text: text('bob', i) })
  }
  await waitFor(async () => (await fullHistory(alice, toBob.id)).length === 2 * rounds, 10_000, `alice holds all ${2 * rounds}`)
  return { alice, bob, toBob, toAlice, texts }
}
