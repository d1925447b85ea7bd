/**
 * Sender keys (docs/groups.md, decision 0014): the one signed ciphertext of an E2EE group send
 * (`senderKey` on `message.send` and on the delivery) and the distribution a sender's device
 * puts inside a pairwise envelope so a member device can read its chain. The server sees the
 * chain id (`keyId`, to track which devices were given that chain) and the ciphertext, never a
 * key.
 */
import * as v from 'valibot'
import { MAX_CIPHERTEXT_BYTES } from '../limits.js'
import { base64Exact, base64Max, IdSchema } from './common.js'

/** A chain id: an unsigned 32-bit integer chosen at random by the owning device. */
export const SenderKeyIdSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff))

/** The one signed sender-key ciphertext of a group message (header, encrypt-then-MAC body, Ed25519 signature). */
export const SenderKeyMessageSchema = v.strictObject({
  keyId: SenderKeyIdSchema,
  ciphertext: base64Max(MAX_CIPHERTEXT_BYTES),
})
export type SenderKeyMessage = v.InferOutput<typeof SenderKeyMessageSchema>

/**
 * What a distribution envelope decrypts to (inside the pairwise session with the owning
 * device): the chain at its current position and its public signature key, for one group.
 */
export const SenderKeyDistributionSchema = v.strictObject({
  type: v.literal('sender-key-distribution'),
  conversationId: IdSchema,
  keyId: SenderKeyIdSchema,
  iteration: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffff_ffff)),
  chainKey: base64Exact(32),
  signingKey: base64Exact(32),
})
export type SenderKeyDistributionPayload = v.InferOutput<typeof SenderKeyDistributionSchema>
