/**
 * The console's calls to the demo server's operator API (`/operator/api/*`, same origin, the
 * session cookie goes along). A refusal comes back as {@link ConsoleApiError} with the API's
 * stable code.
 */
import type { ActionBodies, ActionName, ConsoleState, OperatorApiErrorBody, QueueShow } from '../operator-api-types.js'

/** A refusal of the operator API. */
export class ConsoleApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message)
    this.name = 'ConsoleApiError'
  }
}

async function parse<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => null)) as unknown
  if (res.ok) return body as T
  const err = (body as Partial<OperatorApiErrorBody> | null)?.error
  throw new ConsoleApiError(err?.code ?? 'internal', err?.message ?? `HTTP ${res.status}`, res.status)
}

/** Which page of which reports the console shows. */
export interface QueueView {
  show: QueueShow
  page: number
}

/** One page of the queue with transcripts, the newest audit entries and the totals. */
export async function fetchState(view: QueueView): Promise<ConsoleState> {
  const query = new URLSearchParams({ show: view.show, page: String(view.page) })
  return parse<ConsoleState>(await fetch(`/operator/api/state?${query}`, { credentials: 'same-origin' }))
}

/** Runs one moderator action. */
export async function act<A extends ActionName>(name: A, body: ActionBodies[A]): Promise<unknown> {
  const res = await fetch(`/operator/api/actions/${name}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return parse<unknown>(res)
}
