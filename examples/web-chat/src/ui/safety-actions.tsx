/**
 * The conversation's safety buttons: mute / unmute (synced to this user's other devices; no
 * unread count while muted) and block / unblock the peer, with a confirmation that says what a
 * block does and does not do. Errors show inline.
 */
import { useState } from 'react'
import type { Conversation } from '@parley/client'
import { useParley } from '@parley/react'
import { describeError } from './describe-error.js'
import { Modal } from './modal.js'
import { useSafetyState } from './safety-context.js'

export function MuteButton({ conversation }: { conversation: Conversation }) {
  useSafetyState() // re-render on `mute`
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const muted = conversation.muted
  const toggle = async () => {
    setBusy(true)
    setError(null)
    try {
      await (muted ? conversation.unmute() : conversation.mute())
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <button className="button small" data-testid="mute-button" data-muted={String(muted)} aria-pressed={muted} disabled={busy} onClick={() => void toggle()}>
        {muted ? 'Unmute' : 'Mute'}
      </button>
      {error ? <span className="error-text small" data-testid="mute-error">{error}</span> : null}
    </>
  )
}

export function BlockButton({ peer }: { peer: string }) {
  const { client } = useParley()
  const safety = useSafetyState()
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const blocked = client?.users.isBlocked(peer) ?? false
  const run = async (f: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await f()
      setConfirming(false)
      await safety.refresh()
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  if (!client) return null
  return (
    <>
      {blocked ? (
        <button className="button small" data-testid="unblock-button" disabled={busy} onClick={() => void run(() => client.users.unblock(peer))}>Unblock</button>
      ) : (
        <button className="button small danger-outline" data-testid="block-button" disabled={busy} onClick={() => setConfirming(true)}>Block</button>
      )}
      {error && !confirming ? <span className="error-text small" data-testid="block-error">{error}</span> : null}
      {confirming ? (
        <Modal title={`Block ${peer}?`} onClose={() => setConfirming(false)} testid="block-dialog">
          <p>{peer} will not be told. Their messages, typing and read receipts stop reaching you on all your devices, and they no longer see yours.</p>
          <p className="muted">What they sent before stays here, and you can still report it. Messages they send while blocked are never delivered, even if you unblock them later.</p>
          {error ? <p className="error-text" data-testid="block-error">{error}</p> : null}
          <div className="actions">
            <button className="button" onClick={() => setConfirming(false)}>Cancel</button>
            <button className="button danger" data-testid="block-confirm" disabled={busy} onClick={() => void run(() => client.users.block(peer))}>Block {peer}</button>
          </div>
        </Modal>
      ) : null}
    </>
  )
}
