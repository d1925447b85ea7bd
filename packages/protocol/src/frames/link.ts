/**
 * Device linking with a one-time provisioning code. The new device shows a code; the server
 * only ever sees `codeHash`, so it cannot read or redirect the encrypted user identity key.
 */
import * as v from 'valibot'
import { MAX_LINK_PAYLOAD_BYTES } from '../limits.js'
import { base64Exact, base64Max, IdSchema, PublicKeySchema } from './common.js'

const CodeHashSchema = base64Exact(32)

/** New device: "I wait for a payload under this code hash, encrypt to this key". */
export const LinkRequestSchema = v.strictObject({ codeHash: CodeHashSchema, deviceId: IdSchema, ephemeralKey: PublicKeySchema })
export type LinkRequest = v.InferOutput<typeof LinkRequestSchema>
/** Existing device: look up the waiting new device by code hash. */
export const LinkLookupSchema = v.strictObject({ codeHash: CodeHashSchema })
export const LinkLookupResultSchema = v.strictObject({ deviceId: IdSchema, ephemeralKey: PublicKeySchema })
/** Existing device: the encrypted payload (user identity key and metadata) for the new one. */
export const LinkCompleteSchema = v.strictObject({
  codeHash: CodeHashSchema,
  ephemeralKey: PublicKeySchema,
  ciphertext: base64Max(MAX_LINK_PAYLOAD_BYTES),
})
export type LinkComplete = v.InferOutput<typeof LinkCompleteSchema>
/** Server → new device: the payload arrived. */
export const LinkPayloadSchema = LinkCompleteSchema
export type LinkPayload = LinkComplete
