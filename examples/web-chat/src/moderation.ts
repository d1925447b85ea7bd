/**
 * The demo's moderation plugins, shared by the server and the browser client: the same
 * object runs on the server for server-side conversations and in each client for E2EE ones
 * (the manifest lists it as required), so the blocked word is blocked in every mode.
 */
import type { ModerationPlugin } from '@parley/protocol'
import { keywordFilter } from '@parley/moderation'

/** The word the moderation demo blocks. */
export const DEMO_BLOCKED_WORD = 'badword'
/** The reason a blocked sender sees. */
export const DEMO_BLOCK_REASON = 'contains a word this demo blocks'

/** The plugins installed on both sides. */
export function demoPlugins(): ModerationPlugin[] {
  return [keywordFilter({ name: 'demo-keyword-filter', words: [DEMO_BLOCKED_WORD], action: 'block', reason: DEMO_BLOCK_REASON })]
}
