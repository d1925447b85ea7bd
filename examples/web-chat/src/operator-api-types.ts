/**
 * The operator console's JSON API (`/operator/api/*`), shared by the demo server and the
 * console in the browser: the shapes it returns, the bodies its actions take and its typed
 * errors. Every route needs the operator session.
 */
import type { VerifiedReport } from '@parley/protocol'
import type { AuditEntry, ReportQueueEntry } from '@parley/server'
import type { ForceState } from './console/moderation-state.js'

/** `GET /operator/api/queue`: the report queue joined with each report's verified transcript. */
export interface QueueItem extends ReportQueueEntry {
  /** The verified report as the Parley store keeps it (`parley.getReport`); null if it is gone. */
  report: VerifiedReport | null
}

/** Which reports the console lists. */
export type QueueShow = 'open' | 'resolved' | 'all'
export const QUEUE_SHOWS: readonly QueueShow[] = ['open', 'resolved', 'all']

/** Reports per page of the queue (each one's transcript is read and unsealed). */
export const QUEUE_PAGE_SIZE = 20

/** `GET /operator/api/state?show=open|resolved|all&page=N`: one page of the queue, the newest audit entries, totals. */
export interface ConsoleState {
  show: QueueShow
  /** 0-based. */
  page: number
  pageSize: number
  /** This page, newest first. */
  queue: QueueItem[]
  /** Reports in `show` (at most `MAX_MODERATION_PAGE`: `totalCapped` says there are more than the API lists). */
  total: number
  totalCapped: boolean
  openTotal: number
  openTotalCapped: boolean
  /** The newest audit entries, newest first. */
  audit: AuditEntry[]
  /** Entries in the audit log. */
  auditTotal: number
  /** What is in force, for this page's conversations and messages (all suspensions). */
  force: ForceState
}

/** The actions, by route: `POST /operator/api/actions/<name>` with a JSON body. */
export interface ActionBodies {
  'suspend-user': { userId: string; reason: string; until?: number }
  'unsuspend-user': { userId: string; reason: string }
  'revoke-device': { userId: string; deviceId: string; reason: string }
  'remove-message': { conversationId: string; messageId: string; reason: string }
  'close-conversation': { conversationId: string; reason: string }
  'resolve-report': { reportId: string; reporterUserId: string; resolution: string; note?: string }
}
export type ActionName = keyof ActionBodies

/** Every action route. */
export const ACTION_NAMES: readonly ActionName[] = ['suspend-user', 'unsuspend-user', 'revoke-device', 'remove-message', 'close-conversation', 'resolve-report']

/**
 * Stable codes of the API's errors (the body is `{ error: { code, message } }`). A refusal by
 * `parley.moderation` keeps its Parley code (`not_found`, `report_resolved`, `forbidden`).
 */
export type OperatorApiErrorCode =
  | 'operator_auth_required' // 401: no live operator session
  | 'cross_origin_refused' // 403: a state-changing request not from the console's own origin
  | 'route_not_found' // 404
  | 'method_not_allowed' // 405
  | 'unsupported_media_type' // 415: an action body must be application/json
  | 'payload_too_large' // 413
  | 'invalid_json' // 400
  | 'invalid_input' // 400: a field is missing, of the wrong type or too long
  | 'not_found' | 'report_resolved' | 'forbidden' // from parley.moderation
  | 'internal' // 500

/** The body of every error answer. */
export interface OperatorApiErrorBody {
  error: { code: OperatorApiErrorCode; message: string }
}
