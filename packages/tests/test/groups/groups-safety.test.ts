/**
 * Safety controls apply to groups in every policy (docs/groups.md): `canMessage` runs for each
 * invitee of a create or an add (`'deny'` refuses the whole change; `'request'` opens a message
 * request for the invitee); an invitee who blocks the inviter is refused like a denial; an
 * inviter who blocks an invitee gets `peer_blocked`; a member who blocks a sender gets none of
 * the sender's group messages while the others do.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, groupWorld, textsIn, type GroupWorld } from './_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string; details?: unknown }) => `${e.code}:${JSON.stringify(e.details)}`)

describe.each(POLICIES)('group safety controls (%s)', (policy) => {
  it('invites run canMessage and blocks per invitee', async () => {
    w = await groupWorld(policy, { canMessage: (from, to) => (to === 'dana' ? 'deny' : to === 'erin' && from === 'alice' ? 'request' : 'allow') })
    const [alice, bob] = await Promise.all(['alice', 'bob', 'carol', 'dana', 'erin'].map((u) => w.join(u)))
    expect(await code(alice!.client.conversations.create({ members: ['bob', 'dana'] }))).toBe('messaging_denied:{"userId":"dana"}')
    await bob!.client.users.block('alice')
    expect(await code(alice!.client.conversations.create({ members: ['bob', 'carol'] }))).toBe('messaging_denied:{"userId":"bob"}')
    await alice!.client.users.block('carol')
    expect(await code(alice!.client.conversations.create({ members: ['carol'] }))).toBe('peer_blocked:{"userId":"carol"}')
    const g = await alice!.client.conversations.create({ members: ['erin'] })
    const ge = await w.side('erin', g.id)
    await waitFor(() => ge.request === 'pending', 10_000, 'erin sees a message request')
  })

  it('a member who blocks the sender gets none of the sender\'s group messages', async () => {
    w = await groupWorld(policy)
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => w.join(u)))
    const ga = await alice!.client.conversations.create({ members: ['bob', 'carol'] })
    const gb = await w.side('bob', ga.id)
    await w.side('carol', ga.id)
    await carol!.client.users.block('bob')
    await gb.send({ text: 'from bob' })
    await ga.send({ text: 'from alice' })
    await waitFor(() => textsIn(carol!, ga.id).includes('from alice') && textsIn(alice!, ga.id).includes('from bob'), 10_000, 'deliveries')
    expect(textsIn(carol!, ga.id)).toEqual(['from alice'])
  })
})
