/**
 * `useRoster(conversation)`: a group's verified roster for the UI — members with their roles,
 * the title, the version and head hash — re-read whenever the client emits `'members'` (a
 * verified change) or `'error'` for the group. Everything comes from the client's verified
 * roster (`conversation.members`, `roleOf`, `title`, `rosterHead`), never from the server.
 */
import { useEffect, useReducer } from 'react'
import type { Conversation } from '@parley/client'
import type { GroupRole } from '@parley/protocol'

export interface RosterView {
  members: { userId: string; role: GroupRole }[]
  title: string
  version: number
  head: string | null
}

export function useRoster(conversation: Conversation | null): RosterView | null {
  const [, bump] = useReducer((n: number) => n + 1, 0)
  useEffect(() => {
    if (!conversation) return
    const offs = [conversation.on('members', bump), conversation.on('error', bump), conversation.on('mode', bump)]
    return () => offs.forEach((off) => off())
  }, [conversation])
  if (!conversation || conversation.kind !== 'group') return null
  return {
    members: conversation.members.map((userId) => ({ userId, role: conversation.roleOf(userId) ?? 'member' })),
    title: conversation.title,
    version: conversation.rosterVersion,
    head: conversation.rosterHead,
  }
}
