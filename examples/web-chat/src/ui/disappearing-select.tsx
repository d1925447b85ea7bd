/**
 * The disappearing-messages timer of a conversation (docs/recovery.md): any member picks one;
 * the setting is signed by this device and every member's device verifies it. Shows the timer
 * this device pinned, live, and the error when a change is refused.
 */
import { useEffect, useState } from 'react'
import type { Conversation } from '@parley/client'
import { describeError } from './describe-error.js'

/** The timers offered, ms (null: off). */
export const DISAPPEARING_CHOICES: readonly { label: string; ms: number | null }[] = [
  { label: 'Off', ms: null },
  { label: '30 seconds', ms: 30_000 },
  { label: '5 minutes', ms: 5 * 60_000 },
  { label: '1 hour', ms: 60 * 60_000 },
  { label: '1 day', ms: 24 * 60 * 60_000 },
  { label: '1 week', ms: 7 * 24 * 60 * 60_000 },
]

export function DisappearingSelect({ conversation }: { conversation: Conversation }) {
  const [ms, setMs] = useState<number | null>(conversation.disappearingMs)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    setMs(conversation.disappearingMs)
    return conversation.on('disappearing', (e) => setMs(e.ms))
  }, [conversation])
  const known = DISAPPEARING_CHOICES.some((c) => c.ms === ms)
  return (
    <label className="disappearing" title={error ?? 'Messages sent from now on disappear for everyone after this time'}>
      <span className="small">Disappearing</span>
      <select data-testid="disappearing-select" data-ms={ms ?? 'off'} value={String(ms)}
        onChange={(e) => {
          const next = e.target.value === 'null' ? null : Number(e.target.value)
          setError(null)
          conversation.setDisappearing(next).catch((err: unknown) => setError(describeError(err)))
        }}>
        {DISAPPEARING_CHOICES.map((c) => <option key={c.label} value={String(c.ms)}>{c.label}</option>)}
        {known ? null : <option value={String(ms)}>{`${Math.round((ms ?? 0) / 1000)} s`}</option>}
      </select>
    </label>
  )
}
