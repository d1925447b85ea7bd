/**
 * Receipts and push (decision 0019, docs/push.md): a receipt is stored and delivered like any
 * message, but never pushed — waking an offline phone to say "delivered" or "read" costs
 * battery and notifies for nothing the user reads. The sender marks it `silent` on the frame
 * (the server cannot read an E2EE one); a readable receipt is known by its reference and is
 * not pushed even without the flag.
 *
 * Why a lying client gains nothing: the flag steers only the push of that client's own message.
 * Setting it on a real message leaves its recipients asleep — as not sending it until they
 * reconnect would; leaving it off a receipt wakes them once — as sending an ordinary message
 * would, which any member may do. Both are limited by the same send rate limits.
 */
import type { MessageSend } from '@parley/protocol'

/** True when `f` should wake the offline recipient devices of the message it stores. */
export function wakesOffline(f: MessageSend): boolean {
  if (f.silent) return false
  const kind = f.mode === 'server-side' ? f.body.ref?.kind : undefined
  return kind !== 'delivered' && kind !== 'read'
}
