/** Human text for an error the UI shows: the reason of a block, else the message and code. */
import { MessageBlockedError, ParleyError } from '@parley/protocol'

export function describeError(e: unknown): string {
  if (MessageBlockedError.isInstance(e)) {
    const d = e.details as { reason?: string; plugin?: string }
    return `Not sent: ${d.reason ?? 'blocked by moderation'}${d.plugin ? ` (${d.plugin})` : ''}`
  }
  if (ParleyError.isInstance(e)) return `${e.message} [${e.code}]`
  return e instanceof Error ? e.message : String(e)
}
