/**
 * Shared by the sender-key suites (`groups/groups-sender-keys.test.ts`,
 * `hostile/row-16-sender-keys.test.ts`): an E2EE group in each policy where groups are E2EE
 * (optional-e2ee after the admin's upgrade, default-e2ee from creation), the `message.send`
 * frames of proxied users as the server received them, and the key-store records of the chains.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Policy } from '@parley/protocol'
import type { Conversation } from '@parley/client'
import { fileKeyStore } from '@parley/client/node'
import { connect, waitFor } from '../helpers/parley.js'
import { groupWorld, type GroupWorld, type Member } from './_group-world.js'

/** The policies in which a group is end-to-end encrypted (optional-e2ee after its upgrade). */
export const E2EE_GROUP_POLICIES: Policy[] = ['optional-e2ee', 'default-e2ee']

const keyPaths = new WeakMap<Member, string>()

/** Every `message.send` frame a proxied user sent, in order. */
export interface SentFrames {
  of(userId: string): any[]
}

/** Starts a world, joins `users` (those in `viaProxy` through the tampering proxy) and records proxied sends. */
export async function senderKeyWorld(policy: Policy, users: string[], viaProxy: string[]): Promise<{ w: GroupWorld; m: Record<string, Member>; sent: SentFrames }> {
  const w = await groupWorld(policy)
  const m: Record<string, Member> = {}
  // Key stores on disk (a temp dir, removed on close), so a client can be restarted on the same one.
  const dir = mkdtempSync(join(tmpdir(), 'parley-sk-'))
  const close = w.close.bind(w)
  w.close = async () => {
    await close()
    rmSync(dir, { recursive: true, force: true })
  }
  for (const u of users) {
    const keyStore = fileKeyStore({ path: join(dir, `${u}.json`) })
    const member = await w.join(u, viaProxy.includes(u), { keyStore } as never)
    member.keyStore = keyStore
    keyPaths.set(member, join(dir, `${u}.json`))
    m[u] = member
  }
  const frames: { userId: string; frame: any }[] = []
  w.proxy.hooks.request = (event, req, ctx) => {
    if (event === 'message.send') frames.push({ userId: ctx.userId, frame: structuredClone(req) })
    return req
  }
  return { w, m, sent: { of: (userId) => frames.filter((f) => f.userId === userId).map((f) => f.frame) } }
}

/** Creates a group by `admin` with `members` and makes it E2EE in this policy; waits until every member sees it E2EE. */
export async function e2eeGroup(w: GroupWorld, policy: Policy, admin: Member, members: string[]): Promise<Conversation> {
  const g = await admin.client.conversations.create({ members, title: 'team' })
  if (policy === 'optional-e2ee') await g.upgradeToE2EE()
  for (const u of members) {
    const side = await w.side(u, g.id)
    await waitFor(() => side.encryption === 'e2ee', 10_000, `${u} pins the group E2EE`)
  }
  return g
}

/** The key-store key of the chains a device received from `sender` in a group (client store layout). */
export const peerChainKey = (conversationId: string, sender: { userId: string; deviceId: string }) =>
  `skey/${conversationId}/${encodeURIComponent(sender.userId)}/${encodeURIComponent(sender.deviceId)}`
/** The key-store key of a device's own chain in a group. */
export const ownChainKey = (conversationId: string) => `skey-own/${conversationId}`

/** Closes a member's client and starts it again on the same key store (a restart), same proxying. */
export async function restart(w: GroupWorld, member: Member, viaProxy: boolean): Promise<Member> {
  await member.client.close()
  const keyStore = fileKeyStore({ path: keyPaths.get(member)! })
  const client = await connect(viaProxy ? w.proxy.url : w.server.url, member.userId, { keyStore })
  const next: Member = { ...member, client, keyStore, errors: [], got: [], members: [] }
  keyPaths.set(next, keyPaths.get(member)!)
  client.on('error', (e) => next.errors.push(e))
  client.on('message', (msg) => msg.status === 'received' && !msg.outgoing && next.got.push(msg))
  client.on('members', (e) => next.members.push(e))
  w.users[member.userId] = next
  return next
}

/** A delivery frame a hostile server injects into one proxied client (an inbox id past anything real). */
let nextInbox = 1_000_000
export function inject(w: GroupWorld, userId: string, frame: Record<string, unknown>): void {
  w.proxy.inject(userId, 'message', { inboxId: nextInbox++, ts: Date.now(), ...frame })
}
