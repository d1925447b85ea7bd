/**
 * Runs the integrator's `canMessage(from, to)` (server option; docs/decisions/0005). Without
 * the option everything is allowed. It fails closed: a throw or an unknown value becomes
 * `InternalError` (reported to `onError`), a call slower than `CAN_MESSAGE_TIMEOUT_MS` a
 * `TimeoutError`; neither lets the frame through.
 */
import { CAN_MESSAGE_DECISIONS, InternalError, TimeoutError, type CanMessageDecision } from '@parley/protocol'
import { CAN_MESSAGE_TIMEOUT_MS } from '../options.js'
import type { Ctx } from '../context.js'

const isDecision = (x: unknown): x is CanMessageDecision => (CAN_MESSAGE_DECISIONS as readonly unknown[]).includes(x)

/**
 * The decision for `from` writing to `to`.
 * @throws {InternalError} the rule threw or returned something else.
 * @throws {TimeoutError} the rule took longer than `CAN_MESSAGE_TIMEOUT_MS`.
 */
export async function canMessage(ctx: Ctx, from: string, to: string): Promise<CanMessageDecision> {
  const rule = ctx.options.canMessage
  if (!rule) return 'allow'
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError('canMessage did not answer in time', { operation: 'canMessage', ms: CAN_MESSAGE_TIMEOUT_MS })), CAN_MESSAGE_TIMEOUT_MS)
  })
  try {
    const decision: unknown = await Promise.race([Promise.resolve().then(() => rule(from, to)), late])
    if (!isDecision(decision)) throw new TypeError('canMessage returned neither "allow", "request" nor "deny"')
    return decision
  } catch (e) {
    ctx.reportError(e, { where: 'canMessage', userId: from })
    if (TimeoutError.isInstance(e)) throw e
    throw new InternalError('the server could not decide whether this user may be messaged')
  } finally {
    clearTimeout(timer)
  }
}
