/**
 * The `ParleyStore` records of verified reports (sealed at rest) and of report coverage (what
 * a report leaves out). Re-exported from `store.ts`.
 */
import type { SealedBody } from './store-messages.js'

/**
 * A verified report as stored: the whole `VerifiedReport` sealed at rest with the server's data
 * key (`sealAtRest`, AAD binding reporter and report id); only what it is looked up by is clear.
 */
export interface SealedReport {
  reporterUserId: string
  reportId: string
  conversationId: string
  receivedAt: number
  sealed: SealedBody
}

/** What `deliveredAfter` counts: messages a device received or sent after a seq. */
export interface DeliveredAfter {
  count: number
  /** Highest seq among them; 0 when `count` is 0. */
  lastSeq: number
}
