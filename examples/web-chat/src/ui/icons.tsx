/**
 * Inline SVG icons (no emoji: not every system has an emoji font, and a lock must render).
 */
const base = { width: 14, height: 14, viewBox: '0 0 24 24', fill: 'none', stroke: 'currentColor', strokeWidth: 2.2, strokeLinecap: 'round', strokeLinejoin: 'round', 'aria-hidden': true } as const

export function LockIcon({ size = 14 }: { size?: number }) {
  return (
    <svg {...base} width={size} height={size} className="icon">
      <rect x="4" y="11" width="16" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </svg>
  )
}

export function EyeIcon({ size = 14 }: { size?: number }) {
  return (
    <svg {...base} width={size} height={size} className="icon">
      <path d="M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z" />
      <circle cx="12" cy="12" r="3" />
    </svg>
  )
}

export function ClockIcon({ size = 12 }: { size?: number }) {
  return (
    <svg {...base} width={size} height={size} className="icon">
      <circle cx="12" cy="12" r="9" />
      <path d="M12 7v5l3 2" />
    </svg>
  )
}

export function AlertIcon({ size = 13 }: { size?: number }) {
  return (
    <svg {...base} width={size} height={size} className="icon">
      <path d="M12 3l10 18H2L12 3z" />
      <path d="M12 10v4M12 18h.01" />
    </svg>
  )
}
