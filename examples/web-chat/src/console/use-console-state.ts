/**
 * The console's data, kept live: read once, then again whenever the server's event stream
 * (`/operator/events`) says a report arrived or a moderator acted — from this console or any
 * other — at most once per {@link CONSOLE_REFRESH_WINDOW_MS} however many events come. Each
 * read is one page of the queue (`view`). EventSource reconnects by itself (and each reconnect
 * reads again); `live` says whether the stream is open. The stream ends with the session; a read
 * refused for want of a session goes back to the sign-in page.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import type { ConsoleState } from '../operator-api-types.js'
import { ConsoleApiError, fetchState, type QueueView } from './api.js'
import { coalesce, CONSOLE_REFRESH_WINDOW_MS } from './coalesce.js'

export interface UseConsoleState {
  state: ConsoleState | null
  error: string | null
  live: boolean
  refresh(): Promise<void>
}

export function useConsoleState(view: QueueView): UseConsoleState {
  const [state, setState] = useState<ConsoleState | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [live, setLive] = useState(false)
  const viewRef = useRef(view)
  viewRef.current = view
  // Reads never overlap: a change during a read queues exactly one more.
  const reading = useRef<Promise<void> | null>(null)
  const again = useRef(false)

  const refresh = useCallback(async (): Promise<void> => {
    if (reading.current) {
      again.current = true
      return reading.current
    }
    reading.current = (async () => {
      do {
        again.current = false
        try {
          setState(await fetchState(viewRef.current))
          setError(null)
        } catch (e) {
          // The session ended (expired, signed out elsewhere, server restarted): sign in again.
          if (e instanceof ConsoleApiError && e.code === 'operator_auth_required') location.assign('/operator/login')
          setError(e instanceof Error ? e.message : String(e))
        }
      } while (again.current)
    })()
    try {
      await reading.current
    } finally {
      reading.current = null
    }
  }, [])

  // Another page or filter: read it now.
  useEffect(() => {
    void refresh()
  }, [view.show, view.page, refresh])

  useEffect(() => {
    const soon = coalesce(() => void refresh(), CONSOLE_REFRESH_WINDOW_MS)
    const stream = new EventSource('/operator/events')
    stream.onopen = () => {
      setLive(true)
      // Whatever happened while the stream was down.
      soon()
    }
    // A drop, or the stream refused (the session is gone): a read tells which, and signs in again if need be.
    stream.onerror = () => {
      setLive(false)
      soon()
    }
    stream.addEventListener('changed', () => soon())
    stream.addEventListener('ended', () => {
      setLive(false)
      void refresh()
    })
    return () => {
      soon.cancel()
      stream.close()
    }
  }, [refresh])

  return { state, error, live, refresh }
}
