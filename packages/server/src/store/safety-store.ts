/**
 * `SafetyStore`: what the server keeps for the safety controls a user sets (issue 15, part A;
 * docs/decisions/0005) — blocks, mutes, message requests, and the messages withheld from a
 * blocker. A sub-interface of the store (`store.safety`), so each backend implements it in its
 * own file (`safety-memory.ts`, `safety-sql.ts`) and one conformance suite
 * (`safety-contract.ts`) runs on all of them. Every method is one atomic step; user and
 * conversation ids are checked by the handlers before they get here.
 */
import type { RequestState } from '@parley/protocol'

/** One user blocked by the owner of the list, since `since`. */
export interface BlockRecord {
  userId: string
  since: number
}

/** One conversation muted by its owner, since `since`. */
export interface MuteRecord {
  conversationId: string
  since: number
}

/** The message request of a 1:1 conversation: `requester` made first contact with `recipient`. */
export interface RequestRecord {
  conversationId: string
  recipient: string
  requester: string
  state: RequestState
  /** When the request reached `state`. */
  since: number
}

/** One question of {@link SafetyStore.pairs}: users `a` and `b`, and optionally their conversation. */
export interface PairQuery {
  a: string
  b: string
  conversationId?: string
}

/** Everything that decides a frame between two users, read in one round trip. */
export interface PairSafety {
  /** `a` blocks `b`. */
  aBlocksB: boolean
  /** `b` blocks `a`. */
  bBlocksA: boolean
  /** The request of the conversation asked about, if it has one (any state). */
  request: RequestRecord | null
}

/** The storage of the safety controls. Lists are ordered by id (code-point order), `after` exclusive. */
export interface SafetyStore {
  // ---- blocks ----
  /** `blocker` blocks `blocked`. Idempotent: blocking again keeps the first `since` (`created` false). */
  block(blocker: string, blocked: string, now: number): Promise<{ since: number; created: boolean }>
  /** Removes the block; `removed` is false when there was none. */
  unblock(blocker: string, blocked: string): Promise<{ removed: boolean }>
  /** A page of the users `blocker` blocks. */
  listBlocked(blocker: string, after: string | undefined, limit: number): Promise<BlockRecord[]>
  /**
   * For each query, in order: the blocks between `a` and `b`, both ways, and the request of
   * `conversationId` (when given). One round trip for the whole list (the server coalesces the
   * reads of concurrent frames, `safety/pair-reader.ts`).
   */
  pairs(queries: readonly PairQuery[]): Promise<PairSafety[]>

  // ---- mutes ----
  /** Mutes or unmutes `conversationId` for `userId`. Idempotent; `changed` is false when it already was. */
  setMuted(userId: string, conversationId: string, muted: boolean, now: number): Promise<{ changed: boolean }>
  isMuted(userId: string, conversationId: string): Promise<boolean>
  /** A page of the conversations `userId` muted. */
  listMuted(userId: string, after: string | undefined, limit: number): Promise<MuteRecord[]>

  // ---- message requests ----
  /**
   * Makes `conversationId` a pending request from `requester` to `recipient`, unless it already
   * has a request (in any state): then that one is returned unchanged (`created` false).
   */
  openRequest(args: { conversationId: string; recipient: string; requester: string; now: number }): Promise<{ created: boolean; request: RequestRecord }>
  /**
   * Moves the request of `conversationId` whose recipient is `recipient` to `to`, when its state
   * is one of `from` (`changed` false when it was already `to`). Null, and nothing written, when
   * the conversation has no such request.
   */
  moveRequest(args: { conversationId: string; recipient: string; from: readonly RequestState[]; to: RequestState; now: number }): Promise<{ request: RequestRecord; changed: boolean } | null>
  /** A page of the open (pending or declined) requests `recipient` received. */
  listRequests(recipient: string, after: string | undefined, limit: number): Promise<RequestRecord[]>

  // ---- withheld messages (a blocked sender's, never delivered to the blocker) ----
  /** Records that message `messageId` is withheld from each of `userIds`. Idempotent. */
  withhold(messageId: string, userIds: readonly string[]): Promise<void>
  /** Those of `messageIds` withheld from `userId`. */
  withheldAmong(userId: string, messageIds: readonly string[]): Promise<string[]>
}
