/**
 * The envelope flag of a receipt (decision 0019): `silent: true` on its `message.send` frame
 * tells the server not to push it to offline devices, which it cannot tell from an E2EE
 * ciphertext. A receipt is a control message: waking a phone to say "read" costs battery and
 * shows a notification for nothing the user reads.
 */
import type { MessageRef } from '@parley/protocol'

/** `{ silent: true }` for a receipt's frame (spread into it); `{}` for everything else. */
export const silentFlag = (ref: MessageRef | undefined): { silent?: true } => (ref?.kind === 'delivered' || ref?.kind === 'read' ? { silent: true } : {})
