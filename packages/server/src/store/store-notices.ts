/** The `ParleyStore` records of notices and of the policy change that writes them. Re-exported from `store.ts`. */
import type { Notice, Policy } from '@parley/protocol'

/** A stored notice waiting for a device. */
export interface PendingNotice {
  id: number
  notice: Notice
}

/** What `applyPolicy` did. */
export interface PolicyChangeOutcome {
  previous: Policy | null
  changed: boolean
  /** Notices written for participants (one per member per conversation). */
  notices: number
}
