/**
 * The operator console's JSON API: `GET /operator/api/state` (one page of the report queue,
 * the newest audit entries, totals) and `POST /operator/api/actions/<name>`, each a thin call
 * into `parley.moderation`. The caller (`app.ts`) has already checked the operator session and,
 * for actions, that the request comes from the console's own origin. Bad input gets a typed
 * JSON error (`{ error: { code, message } }`, codes in `operator-api-types.ts`), never a crash;
 * an action body must be `application/json`.
 *
 * Reads are bounded: the queue is listed by status (so resolved reports never crowd out open
 * ones) and only the page shown is unsealed (`getReport`); the audit log is read incrementally
 * (`audit-tail.ts`).
 */
import type { IncomingMessage } from 'node:http'
import { ParleyError, type VerifiedReport } from '@parley/protocol'
import { MAX_MODERATION_PAGE, type ModerationApi } from '@parley/server'
import type { AuditTail } from './audit-tail.js'
import { deviceKey } from './console/moderation-state.js'
import type { ActionBodies, ActionName, ConsoleState, OperatorApiErrorBody, OperatorApiErrorCode, QueueItem, QueueShow } from './operator-api-types.js'
import { ACTION_NAMES, QUEUE_PAGE_SIZE, QUEUE_SHOWS } from './operator-api-types.js'
import type { OperatorEvent } from './operator-events.js'

/** Largest action body read, bytes. */
export const MAX_ACTION_BODY_BYTES = 16_384
/** Longest id (user, conversation, message, report) an action accepts, characters. */
export const MAX_ACTION_ID_LENGTH = 200
/** Path prefix of the API. */
export const OPERATOR_API_PREFIX = '/operator/api/'

/** A refusal with its HTTP status and stable code. */
export class OperatorApiError extends Error {
  constructor(readonly status: number, readonly code: OperatorApiErrorCode, message: string) {
    super(message)
    this.name = 'OperatorApiError'
  }

  body(): OperatorApiErrorBody {
    return { error: { code: this.code, message: this.message } }
  }
}

const PARLEY_STATUS: Partial<Record<string, [number, OperatorApiErrorCode]>> = {
  not_found: [404, 'not_found'],
  report_resolved: [409, 'report_resolved'],
  forbidden: [403, 'forbidden'],
}

/** Any thrown value as the API's typed error: moderation's own checks keep their meaning. */
export function toApiError(e: unknown): OperatorApiError {
  if (e instanceof OperatorApiError) return e
  if (ParleyError.isInstance(e)) {
    const [status, code] = PARLEY_STATUS[e.code] ?? [500, 'internal' as const]
    return new OperatorApiError(status, code, e.message)
  }
  // parley.moderation checks its arguments with TypeError / RangeError (an empty reason, a past `until`).
  if (e instanceof TypeError || e instanceof RangeError) return new OperatorApiError(400, 'invalid_input', e.message)
  return new OperatorApiError(500, 'internal', 'internal error')
}

/** Reads a small JSON object body. @throws {OperatorApiError} */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type !== 'application/json') throw new OperatorApiError(415, 'unsupported_media_type', 'the body must be application/json')
  let size = 0
  const chunks: Buffer[] = []
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_ACTION_BODY_BYTES) throw new OperatorApiError(413, 'payload_too_large', `the body must be at most ${MAX_ACTION_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new OperatorApiError(400, 'invalid_json', 'the body is not JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OperatorApiError(400, 'invalid_input', 'the body must be a JSON object')
  return body as Record<string, unknown>
}

function id(body: Record<string, unknown>, name: string): string {
  const v = body[name]
  if (typeof v !== 'string' || v.length === 0) throw new OperatorApiError(400, 'invalid_input', `"${name}" expected a non-empty string`)
  if (v.length > MAX_ACTION_ID_LENGTH) throw new OperatorApiError(400, 'invalid_input', `"${name}" expected at most ${MAX_ACTION_ID_LENGTH} characters`)
  return v
}

/** Free text is checked by `parley.moderation` itself (non-empty, bounded, well-formed). */
function text(body: Record<string, unknown>, name: string): string {
  const v = body[name]
  if (typeof v !== 'string') throw new OperatorApiError(400, 'invalid_input', `"${name}" expected a string`)
  return v
}

function optionalText(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name]
  if (v === undefined || v === null || v === '') return undefined
  return text(body, name)
}

/** Parses an action body into its typed form. @throws {OperatorApiError} */
export function parseAction<A extends ActionName>(name: A, body: Record<string, unknown>): ActionBodies[A] {
  const parsed: { [K in ActionName]: () => ActionBodies[K] } = {
    'suspend-user': () => {
      const until = body.until
      if (until !== undefined && until !== null && !Number.isSafeInteger(until)) throw new OperatorApiError(400, 'invalid_input', '"until" expected a time in ms')
      return { userId: id(body, 'userId'), reason: text(body, 'reason'), ...(typeof until === 'number' ? { until } : {}) }
    },
    'unsuspend-user': () => ({ userId: id(body, 'userId'), reason: text(body, 'reason') }),
    'revoke-device': () => ({ userId: id(body, 'userId'), deviceId: id(body, 'deviceId'), reason: text(body, 'reason') }),
    'remove-message': () => ({ conversationId: id(body, 'conversationId'), messageId: id(body, 'messageId'), reason: text(body, 'reason') }),
    'close-conversation': () => ({ conversationId: id(body, 'conversationId'), reason: text(body, 'reason') }),
    'resolve-report': () => {
      const note = optionalText(body, 'note')
      return { reportId: id(body, 'reportId'), reporterUserId: id(body, 'reporterUserId'), resolution: text(body, 'resolution'), ...(note !== undefined ? { note } : {}) }
    },
  }
  return parsed[name]()
}

/** What the API works on. */
export interface OperatorApiDeps {
  moderation: ModerationApi
  /** `parley.getReport`: the verified report as the store keeps it (sealed at rest). */
  getReport(reporterUserId: string, reportId: string): Promise<VerifiedReport | null>
  publish(event: OperatorEvent): void
  /** The audit log, read incrementally. */
  audit: AuditTail
}

/** Highest page number accepted (the API lists at most `MAX_MODERATION_PAGE` reports). */
export const MAX_QUEUE_PAGE = Math.ceil(MAX_MODERATION_PAGE / QUEUE_PAGE_SIZE) - 1

/** Parses `?show=&page=` of a state read. @throws {OperatorApiError} */
export function parseView(query: URLSearchParams): { show: QueueShow; page: number } {
  const show = query.get('show') ?? 'open'
  if (!(QUEUE_SHOWS as readonly string[]).includes(show)) throw new OperatorApiError(400, 'invalid_input', `"show" expected one of ${QUEUE_SHOWS.join(', ')}`)
  const raw = query.get('page') ?? '0'
  const page = /^\d{1,4}$/.test(raw) ? Number(raw) : -1
  if (page < 0 || page > MAX_QUEUE_PAGE) throw new OperatorApiError(400, 'invalid_input', `"page" expected an integer in 0..${MAX_QUEUE_PAGE}`)
  return { show: show as QueueShow, page }
}

/**
 * One page of the console: the reports in `show` (newest first; only this page's transcripts
 * are read), the totals, the newest audit entries and what is in force for this page.
 */
export async function readState(deps: OperatorApiDeps, view: { show: QueueShow; page: number }): Promise<ConsoleState> {
  const m = deps.moderation
  const [open, listed] = await Promise.all([
    m.listReports({ status: 'open', limit: MAX_MODERATION_PAGE }),
    view.show === 'open' ? null : m.listReports({ ...(view.show === 'resolved' ? { status: 'resolved' as const } : {}), limit: MAX_MODERATION_PAGE }),
    deps.audit.sync(),
  ])
  const list = listed ?? open
  const slice = list.slice(view.page * QUEUE_PAGE_SIZE, (view.page + 1) * QUEUE_PAGE_SIZE)
  const queue: QueueItem[] = await Promise.all(slice.map(async (q) => ({ ...q, report: await deps.getReport(q.reporterUserId, q.reportId) })))
  const conversations = new Set(queue.map((q) => q.conversationId))
  const entries = queue.flatMap((q) => q.report?.entries ?? [])
  const messages = new Set(entries.map((e) => e.messageId))
  const devices = new Set(entries.map((e) => deviceKey(e.sender.userId, e.sender.deviceId)))
  return {
    show: view.show,
    page: view.page,
    pageSize: QUEUE_PAGE_SIZE,
    queue,
    total: list.length,
    totalCapped: list.length >= MAX_MODERATION_PAGE,
    openTotal: open.length,
    openTotalCapped: open.length >= MAX_MODERATION_PAGE,
    audit: deps.audit.newest(),
    auditTotal: deps.audit.total,
    force: deps.audit.force(conversations, messages, devices),
  }
}

async function runAction(deps: OperatorApiDeps, name: ActionName, body: Record<string, unknown>): Promise<unknown> {
  const m = deps.moderation
  switch (name) {
    case 'suspend-user': {
      const a = parseAction(name, body)
      return m.suspendUser(a.userId, { reason: a.reason, ...(a.until !== undefined ? { until: a.until } : {}) })
    }
    case 'unsuspend-user': {
      const a = parseAction(name, body)
      return { unsuspended: await m.unsuspendUser(a.userId, { reason: a.reason }) }
    }
    case 'revoke-device': {
      const a = parseAction(name, body)
      await m.revokeDevice(a.userId, a.deviceId, { reason: a.reason })
      return { revoked: a.deviceId }
    }
    case 'remove-message': {
      const a = parseAction(name, body)
      await m.removeMessage(a.conversationId, a.messageId, { reason: a.reason })
      return { removed: a.messageId }
    }
    case 'close-conversation': {
      const a = parseAction(name, body)
      return m.closeConversation(a.conversationId, { reason: a.reason })
    }
    case 'resolve-report': {
      const a = parseAction(name, body)
      return m.resolveReport(a.reportId, { reporterUserId: a.reporterUserId, resolution: a.resolution, ...(a.note !== undefined ? { note: a.note } : {}) })
    }
  }
}

/**
 * Answers one API request (the session is already checked): `[status, JSON body]`, an error
 * as `{ error: { code, message } }`. Never throws.
 */
export async function handleOperatorApi(deps: OperatorApiDeps, req: IncomingMessage, path: string, query = new URLSearchParams()): Promise<[number, unknown]> {
  try {
    const route = path.slice(OPERATOR_API_PREFIX.length)
    if (route === 'state') {
      if (req.method !== 'GET') throw new OperatorApiError(405, 'method_not_allowed', `${route} is read with GET`)
      return [200, await readState(deps, parseView(query))]
    }
    const name = route.startsWith('actions/') ? route.slice('actions/'.length) : ''
    if (!(ACTION_NAMES as readonly string[]).includes(name)) throw new OperatorApiError(404, 'route_not_found', `no such operator API route: ${route}`)
    if (req.method !== 'POST') throw new OperatorApiError(405, 'method_not_allowed', 'actions are POSTed')
    const result = await runAction(deps, name as ActionName, await readJsonBody(req))
    deps.publish({ kind: 'action', id: name })
    return [200, result]
  } catch (e) {
    const err = toApiError(e)
    return [err.status, err.body()]
  }
}
