/**
 * The small JSON the UI fetches at start (`GET /api/info`). Shared by server and browser.
 */
import type { Policy } from '@parley/protocol'

/** `GET /api/info`. */
export interface ServerInfo {
  policy: Policy
  /** Random per data directory: the browser keeps one key store per instance and user. */
  instanceId: string
  demoUsers: string[]
  blockedWord: string
}
