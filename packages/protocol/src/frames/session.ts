/**
 * Session frames: `hello` (version negotiation and device identification) and the policy
 * manifest the server sends at connect.
 */
import * as v from 'valibot'
import { MAX_PLUGIN_NAME_LENGTH, PROTOCOL_LIMITS } from '../limits.js'
import { IdSchema, list, PolicySchema, SeqSchema, text, UserIdSchema } from './common.js'

/** First frame of every connection. */
export const HelloSchema = v.strictObject({
  versions: list(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 8, 1),
  deviceId: IdSchema,
})
export type Hello = v.InferOutput<typeof HelloSchema>

/** A moderation plugin the client must run for E2EE content. */
export const RequiredPluginSchema = v.strictObject({
  name: text(MAX_PLUGIN_NAME_LENGTH, 1),
  version: text(MAX_PLUGIN_NAME_LENGTH, 1),
})
export type RequiredPlugin = v.InferOutput<typeof RequiredPluginSchema>

const LimitsSchema = v.strictObject(
  Object.fromEntries(Object.keys(PROTOCOL_LIMITS).map((k) => [k, SeqSchema])) as {
    [K in keyof typeof PROTOCOL_LIMITS]: typeof SeqSchema
  },
)
const CapabilitySchema = v.record(v.pipe(v.string(), v.maxLength(64)), v.pipe(v.string(), v.maxLength(256)))

/** What the server tells every client at connect. */
export const PolicyManifestSchema = v.strictObject({
  protocolVersion: v.pipe(v.number(), v.integer()),
  supportedVersions: v.array(v.pipe(v.number(), v.integer())),
  policy: PolicySchema,
  limits: LimitsSchema,
  reportDepth: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(50)),
  requiredPlugins: list(RequiredPluginSchema, 32),
  capabilities: v.strictObject({ 'server-side': CapabilitySchema, e2ee: CapabilitySchema }),
})
export type PolicyManifest = v.InferOutput<typeof PolicyManifestSchema>

/** Ack of `hello`. `registered` is false until the device has sent `device.register`. */
export const HelloResultSchema = v.strictObject({
  version: v.pipe(v.number(), v.integer()),
  userId: UserIdSchema,
  deviceId: IdSchema,
  registered: v.boolean(),
  inboxCursor: SeqSchema,
  manifest: PolicyManifestSchema,
})
export type HelloResult = v.InferOutput<typeof HelloResultSchema>
