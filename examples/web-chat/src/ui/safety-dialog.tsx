/**
 * The safety-number screen: the 60 digits (12 groups of 5) both sides must see identically,
 * and a QR code of the payload to scan from the other device. A match proves no one sits in
 * the middle of this end-to-end encrypted conversation.
 */
import QRCode from 'qrcode'
import { useEffect, useState } from 'react'
import { useSafetyNumber } from '@parley/react'
import { describeError } from './describe-error.js'
import { Modal } from './modal.js'

/** Digits per group on screen. */
export const SAFETY_GROUP = 5

/** Splits the digits into groups of {@link SAFETY_GROUP}. */
export function groupDigits(digits: string): string[] {
  return digits.match(new RegExp(`.{1,${SAFETY_GROUP}}`, 'g')) ?? []
}

export function SafetyDialog(props: { conversationId: string; peer: string; onClose: () => void }) {
  const { safetyNumber, error } = useSafetyNumber(props.conversationId)
  const [qr, setQr] = useState<string | null>(null)
  useEffect(() => {
    if (!safetyNumber) return
    let live = true
    void QRCode.toString(safetyNumber.qrPayload, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then((svg) => {
      if (live) setQr(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`)
    })
    return () => {
      live = false
    }
  }, [safetyNumber])
  return (
    <Modal title={`Verify ${props.peer}`} onClose={props.onClose} testid="safety">
      {error ? <p className="error-text">{describeError(error)}</p> : null}
      {!safetyNumber && !error ? <p className="muted">Computing safety number…</p> : null}
      {safetyNumber ? (
        <div className="safety">
          <p className="muted">
            Compare these numbers with {props.peer}'s screen, in person or over a call — or scan the code. If they match, no one
            can read or change your end-to-end encrypted messages in between.
          </p>
          <div className="digits" data-testid="safety-digits" data-digits={safetyNumber.digits}>
            {groupDigits(safetyNumber.digits).map((g, i) => <span key={i}>{g}</span>)}
          </div>
          {qr ? <img className="qr" data-testid="safety-qr" src={qr} alt={`QR code of the safety number with ${props.peer}`} /> : null}
        </div>
      ) : null}
    </Modal>
  )
}
