/**
 * Shared sizes of the fault scenarios (small enough that the whole folder stays within a few
 * minutes on 2 cores in CI) and the one-line summary each prints.
 */
import type { Policy } from '@parley/protocol'

/**
 * Policies each scenario runs under: server-side and default-e2ee; FAULT_POLICIES=all adds
 * optional-e2ee, or a comma list names them (`.ci/run`'s later Node passes run one).
 */
export const FAULT_POLICIES: Policy[] = faultPolicies(process.env.FAULT_POLICIES)

function faultPolicies(value: string | undefined): Policy[] {
  if (value === 'all') return ['server-side', 'optional-e2ee', 'default-e2ee']
  if (!value) return ['server-side', 'default-e2ee']
  const named = value.split(',').map((p) => p.trim())
  const known: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
  const bad = named.filter((p) => !known.includes(p as Policy))
  if (bad.length || named.length === 0) throw new TypeError(`FAULT_POLICIES: unknown policy ${bad.join(', ')}`)
  return named as Policy[]
}
/** Sender/receiver pairs sending at once. */
export const PAIRS = 4
/** Each sender sends one message per interval. */
export const SEND_INTERVAL_MS = 25
/** How long traffic may take to settle after a fault (reconnect backoff, resends, catch-up). */
export const SETTLE_MS = 45_000

/** Prints a scenario's figures (vitest shows them with the file's output). */
export function summary(scenario: string, policy: Policy, figures: Record<string, number>): void {
  console.log(`[fault] ${scenario} (${policy}): ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`)
}
