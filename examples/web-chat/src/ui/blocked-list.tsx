/** The users this user blocks (from the server, synced across devices), each with Unblock. */
import { useParley } from '@parley/react'
import { useRequestAction } from './request-banner.js'
import { useSafetyState } from './safety-context.js'

function BlockedUserRow({ userId }: { userId: string }) {
  const { client } = useParley()
  const { busy, error, run } = useRequestAction()
  return (
    <li data-testid="blocked-user" data-user={userId}>
      <span>{userId}</span>
      <button className="button small" data-testid="unblock-user" disabled={busy || !client} onClick={() => void run(() => client!.users.unblock(userId))}>Unblock</button>
      {error ? <span className="error-text small">{error}</span> : null}
    </li>
  )
}

export function BlockedList() {
  const { blocked } = useSafetyState()
  if (blocked.length === 0) return null
  return (
    <section className="blocked" data-testid="blocked-list" data-count={blocked.length}>
      <h3 className="section-title">Blocked ({blocked.length})</h3>
      <ul>{blocked.map((b) => <BlockedUserRow key={b.userId} userId={b.userId} />)}</ul>
    </section>
  )
}
