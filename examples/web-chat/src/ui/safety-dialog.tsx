/**
 * The safety-number screen: the 60 digits (12 groups of 5) both sides must see identically,
 * and a QR code of the payload to scan from the other device. A match proves no one sits in
 * the middle of this end-to-end encrypted conversation.
 */
import QRCode from 'qrcode'
import { useEffect, useState } from 'preact/hooks'
import type { SafetyNumber } from '@parley/client'
import { describeError } from './chat-model.js'
import { Modal } from './modal.js'

/** Digits per group on screen. */
export const SAFETY_GROUP = 5

/** Splits the digits into groups of {@link SAFETY_GROUP}. */
export function groupDigits(digits: string): string[] {
  return digits.match(new RegExp(`.{1,${SAFETY_GROUP}}`, 'g')) ?? []
}

export function SafetyDialog(props: { peer: string; load: () => Promise<SafetyNumber>; onClose: () => void }) {
  const [number, setNumber] = useState<SafetyNumber | null>(null)
  const [qr, setQr] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    props.load().then(
      async (n) => {
        if (!live) return
        setNumber(n)
        const svg = await QRCode.toString(n.qrPayload, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' })
        if (live) setQr(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`)
      },
      (e) => live && setError(describeError(e)),
    )
    return () => {
      live = false
    }
  }, [])
  return (
    <Modal title={`Verify ${props.peer}`} onClose={props.onClose} testid="safety">
      {error ? <p class="error-text">{error}</p> : null}
      {!number && !error ? <p class="muted">Computing safety number…</p> : null}
      {number ? (
        <div class="safety">
          <p class="muted">
            Compare these numbers with {props.peer}'s screen, in person or over a call — or scan the code. If they match, no one
            can read or change your end-to-end encrypted messages in between.
          </p>
          <div class="digits" data-testid="safety-digits" data-digits={number.digits}>
            {groupDigits(number.digits).map((g, i) => <span key={i}>{g}</span>)}
          </div>
          {qr ? <img class="qr" data-testid="safety-qr" src={qr} alt={`QR code of the safety number with ${props.peer}`} /> : null}
        </div>
      ) : null}
    </Modal>
  )
}
