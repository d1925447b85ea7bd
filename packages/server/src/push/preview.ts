/**
 * The preview of a server-side message for a notification (docs/push.md): its text cut to
 * {@link MAX_PUSH_PREVIEW_LENGTH} code units without splitting a surrogate pair, so the preview
 * stays well-formed text.
 */
import type { PlainBody } from '@parley/protocol'
import { MAX_PUSH_PREVIEW_LENGTH, type PushPreview } from './types.js'

/** The preview of `body` (a server-side message the server has just stored). */
export function previewOf(body: PlainBody): PushPreview {
  let text = body.text
  const truncated = text.length > MAX_PUSH_PREVIEW_LENGTH
  if (truncated) {
    let end = MAX_PUSH_PREVIEW_LENGTH
    const last = text.charCodeAt(end - 1)
    if (last >= 0xd800 && last <= 0xdbff) end-- // a high surrogate whose pair would be cut off
    text = text.slice(0, end)
  }
  return { text, truncated, attachments: body.attachments.length, ...(body.ref ? { ref: body.ref.kind } : {}) }
}
