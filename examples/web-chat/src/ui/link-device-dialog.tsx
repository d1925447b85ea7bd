/**
 * The signed-in browser's side of linking: type the code the new browser shows; this device
 * sends it the account's identity key (and its conversation pins), encrypted under that code.
 */
import { useState } from 'react'
import { useParley } from '@parley/react'
import { describeError } from './describe-error.js'
import { Modal } from './modal.js'

export function LinkDeviceDialog(props: { onClose: () => void }) {
  const { client } = useParley()
  const [code, setCode] = useState('')
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const submit = async () => {
    if (!client) return
    setBusy(true)
    setError(null)
    try {
      await client.linkDevice(code.trim())
      setDone(true)
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal title="Link a device" onClose={props.onClose} testid="link-device">
      {done ? (
        <div data-testid="link-done">
          <p className="big">Device linked</p>
          <p>The other browser is now signed in as you, with your history. Messages from now on reach both.</p>
          <div className="actions"><button className="button primary" onClick={props.onClose}>Done</button></div>
        </div>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); void submit() }}>
          <p>On the new browser, choose <em>Link this browser</em>, enter your user name, and type the code it shows here.
            Your identity key and your message history travel to it end to end encrypted (the server stores the history
            only as ciphertext it cannot read, and deletes it once fetched).</p>
          <label className="field">
            <span>Code shown on the new browser</span>
            <input data-testid="link-code-input" autoFocus value={code} onChange={(e) => setCode(e.target.value)} disabled={busy} />
          </label>
          {error ? <p className="error-text" data-testid="link-device-error">{error}</p> : null}
          <div className="actions">
            <button className="button" type="button" onClick={props.onClose}>Cancel</button>
            <button className="button primary" data-testid="link-code-submit" type="submit" disabled={busy || !code.trim()}>
              {busy ? 'Linking…' : 'Link'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  )
}
