/**
 * Building blocks shared by every frame schema. All objects are strict (extra keys, and so
 * `__proto__`/`constructor` keys, are refused); every string and array has a maximum.
 */
import * as v from 'valibot'
import { BASE64_PATTERN } from '../base64.js'
import {
  base64Length, FRANKING_BYTES, MAX_ID_LENGTH, MAX_USER_ID_LENGTH, PUBLIC_KEY_BYTES, SIGNATURE_BYTES,
  MAX_PREKEY_ID,
} from '../limits.js'
import { ENCRYPTION_MODES, POLICIES } from '../policy.js'
import { HAS_NUL, hasNoNul, isWellFormedText, NOT_WELL_FORMED } from '../unicode.js'

/** Message used by size checks, so validation can tell "too large" from "malformed". */
export const TOO_LARGE = 'too_large'

/**
 * Names no id may take: ids become keys of plain objects on clients and servers (receipt books,
 * rosters, device maps), where `__proto__` reaches `Object.prototype` (a device named so polluted
 * every object of a client — review of 2026-12-03) and the others shadow what every object has.
 */
export const RESERVED_IDS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])
const notReserved = v.check((s: string) => !RESERVED_IDS.has(s), 'expected an id other than __proto__, constructor or prototype')
/** Server-assigned or client-chosen id: conversation, message, device, report. */
export const IdSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_ID_LENGTH, TOO_LARGE),
  v.regex(/^[A-Za-z0-9_.:-]+$/, 'expected 1+ characters of A-Z a-z 0-9 _ . : -'),
  notReserved,
)
/** Integrator-chosen user id (printable ASCII, no spaces). */
export const UserIdSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_USER_ID_LENGTH, TOO_LARGE),
  v.regex(/^[\x21-\x7e]+$/, 'expected 1+ printable ASCII characters without spaces'),
  notReserved,
)
/** Milliseconds since the epoch. */
export const TimestampSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))
/** Conversation sequence number or inbox cursor. */
export const SeqSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER))
/** Numeric prekey id (u32). */
export const PreKeyIdSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_PREKEY_ID))

/** Base64 text that decodes to exactly `bytes` bytes. */
export function base64Exact(bytes: number) {
  const len = base64Length(bytes)
  return v.pipe(
    v.string(),
    v.maxLength(len, TOO_LARGE),
    v.length(len, `expected base64 of ${bytes} bytes`),
    v.regex(BASE64_PATTERN, 'expected base64'),
  )
}
/** Base64 text that decodes to at most `maxBytes` bytes. */
export function base64Max(maxBytes: number) {
  return v.pipe(v.string(), v.maxLength(base64Length(maxBytes), TOO_LARGE), v.regex(BASE64_PATTERN, 'expected base64'))
}
/** Bounded string. */
export function text(max: number, min = 0) {
  return v.pipe(v.string(), v.maxLength(max, TOO_LARGE), v.minLength(min, `expected at least ${min} characters`))
}
/**
 * Bounded, well-formed string (no lone surrogates) without NUL: for every text franking commits
 * to or a report carries, so two different strings can never share one UTF-8 encoding, and
 * every such text can be stored (PostgreSQL refuses U+0000 in `text` and `jsonb`).
 */
export function wellFormedText(max: number, min = 0) {
  return v.pipe(
    v.string(), v.maxLength(max, TOO_LARGE), v.minLength(min, `expected at least ${min} characters`),
    v.check((s: string) => isWellFormedText(s), NOT_WELL_FORMED), v.check((s: string) => hasNoNul(s), HAS_NUL),
  )
}
/** Bounded array. (`checkBounds` refuses an over-long one before its items are validated.) */
export function list<T extends v.GenericSchema>(item: T, max: number, min = 0) {
  return v.pipe(v.array(item), v.maxLength(max, TOO_LARGE), v.minLength(min, `expected at least ${min} items`))
}

/** The validation message of a list that repeats an `id` (also matched by the docs generator). */
export const UNIQUE_IDS = 'expected unique ids'

/**
 * Bounded array of items with an `id`, no id twice: one upload of prekeys names each key once
 * (a repeated id would otherwise reach the store as two writes of one row).
 */
export function uniqueIdList<T extends v.GenericSchema<unknown, { id: unknown }>>(item: T, max: number, min = 0) {
  return v.pipe(
    v.array(item), v.maxLength(max, TOO_LARGE), v.minLength(min, `expected at least ${min} items`),
    v.check((items: v.InferOutput<T>[]) => new Set(items.map((i) => (i as { id: unknown }).id)).size === items.length, UNIQUE_IDS),
  )
}

export const PublicKeySchema = base64Exact(PUBLIC_KEY_BYTES)
export const SignatureSchema = base64Exact(SIGNATURE_BYTES)
export const FrankingTagSchema = base64Exact(FRANKING_BYTES)
export const PolicySchema = v.picklist(POLICIES)
export const EncryptionModeSchema = v.picklist(ENCRYPTION_MODES)

/** A device address: which user, which of their devices. */
export const DeviceAddressSchema = v.strictObject({ userId: UserIdSchema, deviceId: IdSchema })
export type DeviceAddress = v.InferOutput<typeof DeviceAddressSchema>

/** An empty request body. */
export const EmptySchema = v.strictObject({})
