/**
 * Safety controls a user sets for themselves, enforced by the server in every mode (issue 15,
 * docs/decisions/0005): block / unblock / the blocked list, mute per conversation, and message
 * requests (first contact from someone the recipient has not accepted). The server is the
 * source of truth; a change is pushed to the user's other devices (`*.changed`).
 */
import * as v from 'valibot'
import { MAX_SAFETY_PAGE } from '../limits.js'
import { IdSchema, list, TimestampSchema, UserIdSchema } from './common.js'

/** An optional page size for the `*.list` frames. */
const PageLimitSchema = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_SAFETY_PAGE)))

// ---- block ----

/** Block or unblock a user (`block.add`, `block.remove`): idempotent. */
export const BlockUserSchema = v.strictObject({ userId: UserIdSchema })
export type BlockUser = v.InferOutput<typeof BlockUserSchema>

/** Ack of `block.add` / `block.remove`: the state now; `since` is when the block began. */
export const BlockResultSchema = v.strictObject({
  userId: UserIdSchema,
  blocked: v.boolean(),
  since: v.optional(TimestampSchema),
})
export type BlockResult = v.InferOutput<typeof BlockResultSchema>

/** One blocked user. */
export const BlockEntrySchema = v.strictObject({ userId: UserIdSchema, since: TimestampSchema })
export type BlockEntry = v.InferOutput<typeof BlockEntrySchema>

/** A page of the caller's blocked users, by user id, after `after`. */
export const BlockListSchema = v.strictObject({ after: v.optional(UserIdSchema), limit: PageLimitSchema })
/** `next`: pass as `after` for the next page; absent on the last one. */
export const BlockListResultSchema = v.strictObject({
  blocked: list(BlockEntrySchema, MAX_SAFETY_PAGE),
  next: v.optional(UserIdSchema),
})
export type BlockListResult = v.InferOutput<typeof BlockListResultSchema>

/** A block changed on another device of this user (server → the user's devices). */
export const BlockChangedSchema = v.strictObject({ userId: UserIdSchema, blocked: v.boolean(), ts: TimestampSchema })
export type BlockChanged = v.InferOutput<typeof BlockChangedSchema>

// ---- mute ----

/** Mute or unmute one conversation for the caller (`mute.set`): idempotent, private. */
export const MuteSetSchema = v.strictObject({ conversationId: IdSchema, muted: v.boolean() })
export type MuteSet = v.InferOutput<typeof MuteSetSchema>
/** Ack of `mute.set`: the state now. */
export const MuteResultSchema = v.strictObject({ conversationId: IdSchema, muted: v.boolean() })

/** One muted conversation. */
export const MuteEntrySchema = v.strictObject({ conversationId: IdSchema, since: TimestampSchema })
export type MuteEntry = v.InferOutput<typeof MuteEntrySchema>
/** A page of the caller's muted conversations, by conversation id, after `after`. */
export const MuteListSchema = v.strictObject({ after: v.optional(IdSchema), limit: PageLimitSchema })
export const MuteListResultSchema = v.strictObject({
  muted: list(MuteEntrySchema, MAX_SAFETY_PAGE),
  next: v.optional(IdSchema),
})
export type MuteListResult = v.InferOutput<typeof MuteListResultSchema>

/** A mute changed on another device of this user (server → the user's devices). */
export const MuteChangedSchema = v.strictObject({ conversationId: IdSchema, muted: v.boolean(), ts: TimestampSchema })
export type MuteChanged = v.InferOutput<typeof MuteChangedSchema>

// ---- message requests ----

/**
 * States of a message request. `pending` and `declined` are open requests (typing and
 * receipts are dropped both ways); `accepted` is a closed one.
 */
export const REQUEST_STATES = ['pending', 'declined', 'accepted'] as const
export type RequestState = (typeof REQUEST_STATES)[number]
/** The states of an open request (what `request.list` returns). */
export const OPEN_REQUEST_STATES = ['pending', 'declined'] as const

/** One open request: conversation `conversationId`, started by `userId`. */
export const RequestEntrySchema = v.strictObject({
  conversationId: IdSchema,
  userId: UserIdSchema,
  state: v.picklist(OPEN_REQUEST_STATES),
  since: TimestampSchema,
})
export type RequestEntry = v.InferOutput<typeof RequestEntrySchema>

/** A page of the caller's open requests (as the recipient), by conversation id, after `after`. */
export const RequestListSchema = v.strictObject({ after: v.optional(IdSchema), limit: PageLimitSchema })
export const RequestListResultSchema = v.strictObject({
  requests: list(RequestEntrySchema, MAX_SAFETY_PAGE),
  next: v.optional(IdSchema),
})
export type RequestListResult = v.InferOutput<typeof RequestListResultSchema>

/** Accept or decline the open request of a conversation (`request.accept`, `request.decline`). */
export const RequestActionSchema = v.strictObject({ conversationId: IdSchema })
export type RequestAction = v.InferOutput<typeof RequestActionSchema>
/** Ack of `request.accept` / `request.decline`: the state now. */
export const RequestResultSchema = v.strictObject({ conversationId: IdSchema, state: v.picklist(REQUEST_STATES) })
export type RequestResult = v.InferOutput<typeof RequestResultSchema>

/** A request of this user (as recipient) changed: new, accepted, declined (server → the recipient's devices). */
export const RequestChangedSchema = v.strictObject({
  conversationId: IdSchema,
  userId: UserIdSchema,
  state: v.picklist(REQUEST_STATES),
  ts: TimestampSchema,
})
export type RequestChanged = v.InferOutput<typeof RequestChangedSchema>

// ---- canMessage ----

/** What the server's `canMessage(from, to)` option decides for an open or a send. */
export const CAN_MESSAGE_DECISIONS = ['allow', 'request', 'deny'] as const
export type CanMessageDecision = (typeof CAN_MESSAGE_DECISIONS)[number]
