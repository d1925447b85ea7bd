/**
 * Shown at the top of a conversation that is an open message request for this user: who wrote,
 * what they cannot see yet (typing, read receipts), and the four answers — accept, decline,
 * block, report. Replying accepts too.
 */
import { useState } from 'react'
import type { MessageRequest } from '@parley/client'
import { describeError } from './describe-error.js'
import { useSafetyState } from './safety-context.js'

/** Runs a request action and reads the lists again. */
export function useRequestAction(): { busy: boolean; error: string | null; run(f: () => Promise<void>): Promise<void> } {
  const safety = useSafetyState()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (f: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await f()
      await safety.refresh()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run }
}

export function RequestBanner({ request, onReport }: { request: MessageRequest; onReport: () => void }) {
  const { busy, error, run } = useRequestAction()
  return (
    <div className="request-banner" data-testid="request-banner" data-peer={request.userId} data-state={request.state}>
      <p><strong>{request.userId}</strong> wants to message you. They are not one of your contacts.</p>
      <p className="muted small">Until you accept, {request.userId} does not see when you have read their messages or are typing, and links and attachments are not shown. Replying accepts the request.</p>
      <div className="actions">
        <button className="button primary small" data-testid="request-accept" disabled={busy} onClick={() => void run(() => request.accept())}>Accept</button>
        <button className="button small" data-testid="request-decline" disabled={busy} onClick={() => void run(() => request.decline())}>Decline</button>
        <button className="button small danger-outline" data-testid="request-block" disabled={busy} onClick={() => void run(() => request.block())}>Block</button>
        <button className="button small danger-outline" data-testid="request-report" disabled={busy} onClick={onReport}>Report</button>
      </div>
      {error ? <p className="error-text small" data-testid="request-error">{error}</p> : null}
    </div>
  )
}
