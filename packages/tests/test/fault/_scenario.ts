/**
 * Shared sizes of the fault scenarios (small enough that the whole folder stays within a few
 * minutes on 2 cores in CI) and the one-line summary each prints.
 */
import type { Policy } from '@parley/protocol'

/** Policies each scenario runs under (FAULT_POLICIES=all adds optional-e2ee). */
export const FAULT_POLICIES: Policy[] = process.env.FAULT_POLICIES === 'all'
  ? ['server-side', 'optional-e2ee', 'default-e2ee']
  : ['server-side', 'default-e2ee']
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
