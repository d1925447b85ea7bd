/**
 * The mode badge: the real encryption mode of a conversation in words a person understands at
 * a glance — a green lock for end-to-end encryption, an amber eye when the server can read.
 */
import type { EncryptionMode } from '@parley/protocol'
import { EyeIcon, LockIcon } from './icons.js'

/** Short label per mode. */
export const MODE_LABEL: Record<EncryptionMode, string> = {
  e2ee: 'End-to-end encrypted',
  'server-side': 'Server can read',
}

/** One-line explanation per mode. */
export function modeExplanation(mode: EncryptionMode, peer: string): string {
  return mode === 'e2ee'
    ? `Only you and ${peer} can read these messages. The server relays ciphertext it cannot open.`
    : 'Encrypted in transit and at rest, but the server can read these messages (moderation, search, history on new devices).'
}

export function ModeIcon({ mode }: { mode: EncryptionMode }) {
  return <span className={`mode-icon mode-${mode}`}>{mode === 'e2ee' ? <LockIcon /> : <EyeIcon />}</span>
}

export function ModeBadge({ mode, compact = false }: { mode: EncryptionMode; compact?: boolean }) {
  return (
    <span className={`badge badge-${mode}${compact ? ' badge-compact' : ''}`} data-testid="mode-badge" data-mode={mode} title={MODE_LABEL[mode]}>
      <ModeIcon mode={mode} />
      {compact ? null : <span>{MODE_LABEL[mode]}</span>}
    </span>
  )
}
