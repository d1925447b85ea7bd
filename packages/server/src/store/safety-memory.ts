/**
 * The in-memory `SafetyStore` (the reference for `safety-sql.ts`): plain maps, each method runs
 * to completion synchronously, so it is atomic. Lists sort ids by byte order, as the SQL backend
 * does with `COLLATE "C"` (user and conversation ids are ASCII, so JS string order is the same).
 */
import type { RequestState } from '@parley/protocol'
import type { BlockRecord, MuteRecord, RequestRecord, SafetyStore } from './safety-store.js'

const key = (a: string, b: string) => `${a}\n${b}`
const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** A page of `rows` by `id`, after `after` (exclusive). */
function page<T>(rows: T[], id: (r: T) => string, after: string | undefined, limit: number): T[] {
  return rows.filter((r) => after === undefined || id(r) > after).sort((x, y) => byId(id(x), id(y))).slice(0, limit)
}

/** Creates an empty in-memory safety store. */
export function memorySafetyStore(): SafetyStore {
  const blocks = new Map<string, BlockRecord & { blocker: string }>()
  const mutes = new Map<string, MuteRecord & { userId: string }>()
  const requests = new Map<string, RequestRecord>()
  const withheld = new Set<string>()

  return {
    async block(blocker, blocked, now) {
      const found = blocks.get(key(blocker, blocked))
      if (found) return { since: found.since, created: false }
      blocks.set(key(blocker, blocked), { blocker, userId: blocked, since: now })
      return { since: now, created: true }
    },
    async unblock(blocker, blocked) {
      return { removed: blocks.delete(key(blocker, blocked)) }
    },
    async listBlocked(blocker, after, limit) {
      const mine = [...blocks.values()].filter((b) => b.blocker === blocker)
      return page(mine, (b) => b.userId, after, limit).map((b) => ({ userId: b.userId, since: b.since }))
    },
    async pairs(queries) {
      return queries.map(({ a, b, conversationId }) => {
        const request = conversationId === undefined ? undefined : requests.get(conversationId)
        return { aBlocksB: blocks.has(key(a, b)), bBlocksA: blocks.has(key(b, a)), request: request ? { ...request } : null }
      })
    },

    async setMuted(userId, conversationId, muted, now) {
      const k = key(userId, conversationId)
      if (!muted) return { changed: mutes.delete(k) }
      if (mutes.has(k)) return { changed: false }
      mutes.set(k, { userId, conversationId, since: now })
      return { changed: true }
    },
    async isMuted(userId, conversationId) {
      return mutes.has(key(userId, conversationId))
    },
    async listMuted(userId, after, limit) {
      const mine = [...mutes.values()].filter((m) => m.userId === userId)
      return page(mine, (m) => m.conversationId, after, limit).map((m) => ({ conversationId: m.conversationId, since: m.since }))
    },

    async openRequest({ conversationId, recipient, requester, now }) {
      const found = requests.get(conversationId)
      if (found) return { created: false, request: { ...found } }
      const request: RequestRecord = { conversationId, recipient, requester, state: 'pending', since: now }
      requests.set(conversationId, request)
      return { created: true, request: { ...request } }
    },
    async moveRequest({ conversationId, recipient, from, to, now }) {
      const r = requests.get(conversationId)
      if (!r || r.recipient !== recipient || !(from as readonly RequestState[]).includes(r.state)) return null
      const changed = r.state !== to
      if (changed) {
        r.state = to
        r.since = now
      }
      return { request: { ...r }, changed }
    },
    async listRequests(recipient, after, limit) {
      const open = [...requests.values()].filter((r) => r.recipient === recipient && r.state !== 'accepted')
      return page(open, (r) => r.conversationId, after, limit).map((r) => ({ ...r }))
    },

    async withhold(messageId, userIds) {
      for (const u of userIds) withheld.add(key(u, messageId))
    },
    async withheldAmong(userId, messageIds) {
      return [...new Set(messageIds)].filter((m) => withheld.has(key(userId, m)))
    },
  }
}
