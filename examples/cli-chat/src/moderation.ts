/**
 * The moderation plugins this client runs on E2EE content. The server's manifest lists the
 * plugins (name and version) a client must run; these mirror the web-chat demo server's
 * keyword filter. A real app ships one plugin module to both its server and its clients.
 */
import type { ModerationPlugin } from '@parley/protocol'
import { keywordFilter } from '@parley/moderation'

/** The word the demo server blocks. */
export const DEMO_BLOCKED_WORD = 'badword'

/** The plugins the demo server requires for E2EE content. */
export function demoPlugins(): ModerationPlugin[] {
  return [keywordFilter({ name: 'demo-keyword-filter', words: [DEMO_BLOCKED_WORD], action: 'block', reason: 'contains a word this demo blocks' })]
}
