/**
 * This user's safety state for the UI: who they block, their open message requests, and why
 * the server sent this device away (a suspension, a revoked device). Read from
 * `client.users.blocked()` and `client.requests.list()` at start and again on every `block`,
 * `request`, `mute` or `conversation` event — the client keeps them synced across the user's
 * devices — so a change made on another device shows here too.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { BlockedUser, MessageRequest } from '@parley/client'
import type { Goodbye } from '@parley/protocol'
import { useParley } from '@parley/react'

export interface SafetySnapshot {
  blocked: readonly BlockedUser[]
  requests: readonly MessageRequest[]
  /** Bumped on every safety event, so mute flags (read from the conversation) re-render. */
  version: number
  /** Set when the server disconnected this device on purpose and it will not come back by itself. */
  goodbye: Exclude<Goodbye['code'], 'server_restarting'> | null
  /** Reads both lists again now. */
  refresh(): Promise<void>
}

export function useSafety(): SafetySnapshot {
  const { client } = useParley()
  const [blocked, setBlocked] = useState<readonly BlockedUser[]>([])
  const [requests, setRequests] = useState<readonly MessageRequest[]>([])
  const [version, setVersion] = useState(0)
  const [goodbye, setGoodbye] = useState<SafetySnapshot['goodbye']>(null)
  const generation = useRef(0)

  const refresh = useCallback(async () => {
    if (!client) return
    const mine = ++generation.current
    try {
      const [b, r] = await Promise.all([client.users.blocked(), client.requests.list()])
      // A slower earlier read must not overwrite a newer one.
      if (mine !== generation.current) return
      setBlocked(b)
      setRequests(r)
    } catch {
      // Offline: keep what is shown; the next event or reconnect reads again.
    }
  }, [client])

  useEffect(() => {
    if (!client) return
    void refresh()
    const bump = () => {
      setVersion((v) => v + 1)
      void refresh()
    }
    const offs = [
      client.on('block', bump),
      client.on('request', bump),
      client.on('mute', () => setVersion((v) => v + 1)),
      client.on('conversation', bump),
      client.on('ready', bump),
      client.on('disconnect', (d) => {
        if (d.code === 'account_suspended' || d.code === 'device_revoked') setGoodbye(d.code)
      }),
    ]
    return () => offs.forEach((off) => off())
  }, [client, refresh])

  return { blocked, requests, version, goodbye, refresh }
}
