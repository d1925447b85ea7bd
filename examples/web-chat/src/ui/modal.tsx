/**
 * A small accessible dialog: a titled card over a dimmed backdrop; Escape or the backdrop
 * closes it.
 */
import { useEffect, type ReactNode } from 'react'

export function Modal(props: { title: string; onClose: () => void; children: ReactNode; testid: string }) {
  const { onClose } = props
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose()
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [onClose])
  return (
    <div className="backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testid}>
        <header className="modal-head">
          <h2>{props.title}</h2>
          <button className="icon-button" aria-label="Close" data-testid={`${props.testid}-close`} onClick={onClose}>✕</button>
        </header>
        <div className="modal-body">{props.children}</div>
      </div>
    </div>
  )
}
