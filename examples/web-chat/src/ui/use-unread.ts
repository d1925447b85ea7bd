/**
 * Unread counts per conversation, from the SDK (`conversation.unreadCount` and the client's
 * `'unread'` event): counted on the device from its own log and the user's read marker, synced
 * across the user's devices by signed read receipts (docs/messages.md, "Receipts"). Opening a
 * conversation marks it read (on every device of the user).
 */
import { useCallback, useEffect, useState } from 'react'
import { useParley } from '@parley/react'

export function useUnread(): { unread: Readonly<Record<string, number>>; clear(id: string): void } {
  const { client } = useParley()
  const [unread, setUnread] = useState<Record<string, number>>({})
  useEffect(() => {
    if (!client) return
    let live = true
    const off = client.on('unread', (p) => setUnread((u) => ({ ...u, [p.conversationId]: p.count })))
    // Counts already known (a first read of `unreadCount` starts the count; 'unread' follows).
    void client.conversations.list().then((list) => {
      if (live) setUnread((u) => Object.fromEntries([...list.map((c) => [c.id, c.unreadCount] as const), ...Object.entries(u)]))
    }, () => {})
    return () => {
      live = false
      off()
    }
  }, [client])
  const clear = useCallback((id: string) => void client?.conversations.get(id)?.markRead().catch(() => {}), [client])
  return { unread, clear }
}
