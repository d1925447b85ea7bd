/**
 * Sealed group titles (docs/groups.md "Encrypted titles", decision 0022): an E2EE group's
 * title is encrypted to the member devices inside the signed roster record that sets it, so
 * the server stores and relays it without reading it.
 *
 * A fresh 32-byte title key encrypts the title (padded to 64-byte blocks behind a 2-byte length,
 * so the ciphertext tells only the title's length to within a block) with the committing AEAD,
 * the group id and record version as associated data. Each member device gets the key XOR a
 * pad from HKDF-SHA256 over X25519(ephemeral, the device's identity key from its user's signed
 * device list), bound to the group, version, device address and both public keys. One
 * ephemeral key per record; each pad is used once. No MAC on the wrapped key: a wrong key
 * fails the title's key-committing AEAD, and the whole record is signed by an admin device.
 * Pure: no I/O, no clock.
 */
import { x25519 } from '@noble/curves/ed25519.js'
import { MAX_TITLE_LENGTH, type SealedTitle } from '@parley/protocol'
import { ab64, astring } from './_assert.js'
import { concat, fromBase64, lp, toBase64, u64be, utf8 } from './_bytes.js'
import { openWithLabel, sealWithLabel } from './aead.js'
import { hkdfSha256 } from './kdf.js'
import type { CryptoProvider } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'

/** Bytes of a title key. */
export const GROUP_TITLE_KEY_BYTES = 32
/** The padded title is a multiple of this many bytes (length hidden within a block). */
export const GROUP_TITLE_BLOCK_BYTES = 64

const TITLE_LABEL = 'Parley_GroupTitle_v1'
const WRAP_LABEL = 'Parley_GroupTitle_KeyWrap_v1'

/** Where a sealed title belongs: its group and the version of the record carrying it. */
export interface SealedTitleContext {
  conversationId: string
  version: number
}
/** A member device a title is sealed to: its address and X25519 identity key from its user's signed device list. */
export interface TitleRecipient {
  userId: string
  deviceId: string
  identityKey: string
}

const titleAd = (ctx: SealedTitleContext) => concat(utf8(TITLE_LABEL), lp(ctx.conversationId), u64be(ctx.version))

function pad(shared: Uint8Array, ctx: SealedTitleContext, r: { userId: string; deviceId: string }, ephemeral: Uint8Array, identity: Uint8Array): Uint8Array {
  const salt = concat(lp(ctx.conversationId), u64be(ctx.version), lp(r.userId), lp(r.deviceId), ephemeral, identity)
  return hkdfSha256(shared, salt, WRAP_LABEL, GROUP_TITLE_KEY_BYTES)
}

const xor = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x ^ b[i]!)

/**
 * Seals `title` to `recipients` (every member device that may read it, the sealing device's
 * own included).
 * @throws {TypeError|RangeError} on a title over {@link MAX_TITLE_LENGTH}, no recipient, or a malformed identity key.
 * @example
 * const sealed = sealGroupTitle('team', { conversationId: 'g_1', version: 1 }, [{ userId: 'bob', deviceId: 'b1', identityKey }])
 * openGroupTitle(sealed, { conversationId: 'g_1', version: 1 }, { userId: 'bob', deviceId: 'b1', identity }) // 'team'
 */
export function sealGroupTitle(title: string, ctx: SealedTitleContext, recipients: readonly TitleRecipient[], random: RandomSource = systemRandom): SealedTitle {
  const identities = checkSeal(title, recipients)
  const secret = random(32)
  const shared = identities.map((identity) => {
    try {
      return x25519.getSharedSecret(secret, identity)
    } catch {
      return null // a small-order key in someone's signed list: that device gets no copy
    }
  })
  return assemble(title, ctx, recipients, identities, x25519.getPublicKey(secret), shared, random)
}

/**
 * {@link sealGroupTitle} on a {@link CryptoProvider} (native X25519 where the runtime has it:
 * the exchanges are the cost, one per member device).
 * @throws as {@link sealGroupTitle}.
 */
export async function sealGroupTitleWith(provider: CryptoProvider, title: string, ctx: SealedTitleContext, recipients: readonly TitleRecipient[], random: RandomSource = systemRandom): Promise<SealedTitle> {
  const identities = checkSeal(title, recipients)
  const secret = random(32)
  const one = async (identity: Uint8Array) => {
    try {
      return await provider.x25519(secret, identity)
    } catch {
      return null
    }
  }
  let ephemeral: Uint8Array
  let shared: (Uint8Array | null)[]
  try {
    if (!provider.x25519Exchange) throw new Error('no batch exchange')
    const out = await provider.x25519Exchange(secret, identities, true)
    ephemeral = out.publicKey!
    shared = out.shared
  } catch {
    // One bad key fails a batch: each device alone then, the bad one left out.
    ephemeral = await provider.x25519PublicKey(secret)
    shared = await Promise.all(identities.map(one))
  }
  return assemble(title, ctx, recipients, identities, ephemeral, shared, random)
}

function checkSeal(title: string, recipients: readonly TitleRecipient[]): Uint8Array[] {
  astring(title, 'title')
  if (title.length > MAX_TITLE_LENGTH) throw new RangeError(`"title" expected at most ${MAX_TITLE_LENGTH} characters, got ${title.length}`)
  if (recipients.length === 0) throw new RangeError('"recipients" expected at least one device')
  return recipients.map((r, i) => ab64(r.identityKey, `recipients[${i}].identityKey`, 32))
}

function assemble(
  title: string, ctx: SealedTitleContext, recipients: readonly TitleRecipient[], identities: Uint8Array[], ephemeral: Uint8Array, shared: (Uint8Array | null)[], random: RandomSource,
): SealedTitle {
  const body = utf8(title)
  const padded = new Uint8Array(Math.ceil((body.length + 2) / GROUP_TITLE_BLOCK_BYTES) * GROUP_TITLE_BLOCK_BYTES)
  padded[0] = body.length >> 8
  padded[1] = body.length & 0xff
  padded.set(body, 2)
  const titleKey = random(GROUP_TITLE_KEY_BYTES)
  const keys = recipients.flatMap((r, i) => {
    const dh = shared[i]
    return dh ? [{ userId: r.userId, deviceId: r.deviceId, key: toBase64(xor(titleKey, pad(dh, ctx, r, ephemeral, identities[i]!))) }] : []
  })
  if (keys.length === 0) throw new RangeError('"recipients" expected at least one usable identity key')
  const ciphertext = sealWithLabel(titleKey, TITLE_LABEL, padded, titleAd(ctx), random)
  return { ephemeralKey: toBase64(ephemeral), ciphertext: toBase64(ciphertext), keys }
}

/**
 * The title sealed in `sealed` as device `self` reads it, or null when it was not sealed to
 * this device or does not open (never throws on what a peer sent).
 */
export function openGroupTitle(sealed: SealedTitle, ctx: SealedTitleContext, self: { userId: string; deviceId: string; identity: { publicKey: string; secretKey: string } }): string | null {
  try {
    const mine = sealed.keys.find((k) => k.userId === self.userId && k.deviceId === self.deviceId)
    if (!mine) return null
    const ephemeral = fromBase64(sealed.ephemeralKey)
    const identity = fromBase64(self.identity.publicKey)
    const shared = x25519.getSharedSecret(fromBase64(self.identity.secretKey), ephemeral)
    const titleKey = xor(fromBase64(mine.key), pad(shared, ctx, self, ephemeral, identity))
    const padded = openWithLabel(titleKey, TITLE_LABEL, fromBase64(sealed.ciphertext), titleAd(ctx))
    const length = ((padded[0] ?? 0) << 8) | (padded[1] ?? 0)
    if (padded.length % GROUP_TITLE_BLOCK_BYTES !== 0 || length + 2 > padded.length || padded.subarray(2 + length).some((b) => b !== 0)) return null
    const title = new TextDecoder('utf-8', { fatal: true }).decode(padded.subarray(2, 2 + length))
    return title.length <= MAX_TITLE_LENGTH && !title.includes('\u0000') ? title : null
  } catch {
    return null
  }
}
