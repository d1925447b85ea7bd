/**
 * Session frames: `hello.challenge` and `hello` (version negotiation, device identification
 * and, for a device the server already knows, proof of its Ed25519 signing key) and the
 * policy manifest the server sends at connect.
 */
import * as v from 'valibot'
import { MAX_PLUGIN_NAME_LENGTH, PROTOCOL_LIMITS } from '../limits.js'
import { base64Exact, EmptySchema, IdSchema, list, PolicySchema, SeqSchema, SignatureSchema, text, UserIdSchema } from './common.js'

/** Bytes of a hello challenge nonce. */
export const HELLO_NONCE_BYTES = 32

/** `hello.challenge` takes nothing: the nonce is the server's, for this connection only. */
export const HelloChallengeSchema = EmptySchema

/** Ack of `hello.challenge`: a fresh single-use nonce, valid on this connection for `expiresInMs`. */
export const HelloChallengeResultSchema = v.strictObject({
  nonce: base64Exact(HELLO_NONCE_BYTES),
  expiresInMs: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(600_000)),
})
export type HelloChallengeResult = v.InferOutput<typeof HelloChallengeResultSchema>

/**
 * Proof of possession of the device's signing key: the Ed25519 signature, by the key the
 * server has registered for this device, over `helloProofBytes` (`@parley/crypto`) of the
 * connection's challenge nonce, the user id and the device id.
 */
export const HelloProofSchema = v.strictObject({
  nonce: base64Exact(HELLO_NONCE_BYTES),
  signature: SignatureSchema,
})
export type HelloProof = v.InferOutput<typeof HelloProofSchema>

/**
 * First frame of every connection. `proof` is required when the server already has this
 * device registered (else `device_proof_failed`); a new device registers without one.
 */
export const HelloSchema = v.strictObject({
  versions: list(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1000)), 8, 1),
  deviceId: IdSchema,
  proof: v.optional(HelloProofSchema),
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

/** Why the server is about to close a connection. A closed catalogue, like notice codes. */
export const GOODBYE_CODES = ['server_restarting', 'account_suspended', 'device_revoked'] as const
/** The longest wait a `goodbye` may ask for before the client reconnects. */
export const MAX_GOODBYE_RETRY_AFTER_MS = 60_000

/**
 * `goodbye`: sent just before the server disconnects a socket on purpose. `server_restarting`
 * (graceful `close()`, a deploy, a node drain) tells the client to come back, after
 * `retryAfterMs` plus jitter. `account_suspended` / `device_revoked` (a moderator's action) tell
 * it not to: the next handshake would be refused with the same typed error. Unsigned and
 * advisory: it only shapes the reconnect, never a security decision.
 */
export const GoodbyeSchema = v.strictObject({
  code: v.picklist(GOODBYE_CODES),
  retryAfterMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_GOODBYE_RETRY_AFTER_MS))),
})
export type Goodbye = v.InferOutput<typeof GoodbyeSchema>
