/**
 * The operator console's JSON API (`/operator/api/*`), shared by the demo server and the
 * console in the browser: the shapes it returns, the bodies its actions take and its typed
 * errors. Every route needs the operator session.
 */
import type { VerifiedReport } from '@parley/protocol'
import type { AuditEntry, ReportQueueEntry } from '@parley/server'

/** `GET /operator/api/queue`: the report queue joined with each report's verified transcript. */
export interface QueueItem extends ReportQueueEntry {
  /** The verified report as the Parley store keeps it (`parley.getReport`); null if it is gone. */
  report: VerifiedReport | null
}

/** `GET /operator/api/queue` and `GET /operator/api/audit`. */
export interface ConsoleState {
  queue: QueueItem[]
  /** Oldest first. */
  audit: AuditEntry[]
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
