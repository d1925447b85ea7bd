/**
 * A small accessible dialog: a titled card over a dimmed backdrop; Escape or the backdrop
 * closes it.
 */
import type { ComponentChildren } from 'preact'
import { useEffect } from 'preact/hooks'

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren; testid: string }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose()
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [props.onClose])
  return (
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={props.title} data-testid={props.testid}>
        <header class="modal-head">
          <h2>{props.title}</h2>
          <button class="icon-button" aria-label="Close" data-testid={`${props.testid}-close`} onClick={props.onClose}>✕</button>
        </header>
        <div class="modal-body">{props.children}</div>
      </div>
    </div>
  )
}
