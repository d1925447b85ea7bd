/**
 * Unread counts per conversation: received messages that arrived while their conversation was
 * not the one on screen (or the tab was hidden). Opening a conversation clears its count.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { useParley } from '@parley/react'

export function useUnread(selectedId: string | null): { unread: Readonly<Record<string, number>>; clear(id: string): void } {
  const { client } = useParley()
  const [unread, setUnread] = useState<Record<string, number>>({})
  const selected = useRef(selectedId)
  selected.current = selectedId
  useEffect(() => {
    if (!client) return
    return client.on('message', (m) => {
      if (m.outgoing || m.status !== 'received') return
      if (m.conversationId === selected.current && document.visibilityState === 'visible') return
      setUnread((u) => ({ ...u, [m.conversationId]: (u[m.conversationId] ?? 0) + 1 }))
    })
  }, [client])
  const clear = useCallback((id: string) => setUnread((u) => (u[id] ? { ...u, [id]: 0 } : u)), [])
  return { unread, clear }
}
