/**
 * Hash match for known-bad attachments (docs/moderation.md, "Hash match"): an exact SHA-256
 * list compared with each attachment's `sha256`, plus a perceptual-hash hook point. Content
 * hooks only: attachment hashes exist in plaintext on the server for server-side
 * conversations and on the clients for E2EE ones.
 */
import { fromBase64, type AttachmentMeta, type HookContext, type ModerationPlugin, type PlainMessage, type Verdict } from '@parley/protocol'
import { bytesToHex } from '@noble/hashes/utils.js'
import { _action, _contentHooks, _name } from '../_options.js'
import { MODERATION_VERSION } from '../version.js'

/** Most hashes one list accepts. */
export const MAX_HASHES = 1_000_000
/** Bytes of a SHA-256 digest. */
export const SHA256_BYTES = 32

/** Options of {@link hashMatch}. */
export interface HashMatchOptions {
  /** Known-bad SHA-256 digests of attachment plaintext, hex (64 chars) or base64 (44 chars). */
  sha256: readonly string[]
  /**
   * Optional perceptual-hash hook point, asked about each attachment the exact list did not
   * match. The hook sees metadata only; fetch and hash the bytes yourself (e.g. PDQ, PhotoDNA).
   * It runs under the pipeline's timeout; honour `ctx.signal`.
   */
  perceptual?: (attachment: AttachmentMeta, ctx: HookContext) => boolean | Promise<boolean>
  /** What a match does. Default `'block'`. */
  action?: 'block' | 'flag'
  /** The verdict's reason. Default `'matched a known-bad attachment'`. */
  reason?: string
  /** Plugin name. Default `'hash-match'`. */
  name?: string
  /** Which content hooks to install. Default both. */
  hooks?: ReadonlyArray<'checkOutgoing' | 'checkIncoming'>
}

/**
 * A SHA-256 digest, hex or base64, as lowercase hex; `null` when it is neither.
 *
 * @example sha256Hex('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=') // 'e3b0c442…b855'
 */
export function sha256Hex(digest: string): string | null {
  if (typeof digest !== 'string') return null
  if (/^[0-9a-f]{64}$/i.test(digest)) return digest.toLowerCase()
  try {
    const bytes = fromBase64(digest)
    return bytes.length === SHA256_BYTES ? bytesToHex(bytes) : null
  } catch {
    return null
  }
}

/**
 * A content plugin that blocks (or flags) messages carrying an attachment whose SHA-256 is
 * on the list, or that the `perceptual` hook matches.
 *
 * @throws {TypeError} when a digest is neither 64 hex chars nor base64 of 32 bytes.
 * @throws {RangeError} when the list exceeds {@link MAX_HASHES}.
 * @example hashMatch({ sha256: ['e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'] })
 */
export function hashMatch(options: HashMatchOptions): ModerationPlugin {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  if (!Array.isArray(options.sha256)) throw new TypeError('"sha256" expected an array of hex or base64 digests')
  if (options.sha256.length > MAX_HASHES) throw new RangeError(`"sha256" expected at most ${MAX_HASHES} entries, got ${options.sha256.length}`)
  if (options.perceptual !== undefined && typeof options.perceptual !== 'function') throw new TypeError('"perceptual" expected a function')
  const action = _action(options.action ?? 'block')
  const name = _name(options.name, 'hash-match')
  const hooks = _contentHooks(options.hooks)
  const reason = options.reason ?? 'matched a known-bad attachment'
  if (typeof reason !== 'string' || reason.length === 0) throw new TypeError('"reason" expected a non-empty string')
  const known = new Set<string>()
  options.sha256.forEach((d, i) => {
    const hex = sha256Hex(d)
    if (hex === null) throw new TypeError(`"sha256[${i}]" expected 64 hex characters or base64 of 32 bytes`)
    known.add(hex)
  })
  const perceptual = options.perceptual

  async function check(msg: PlainMessage, ctx: HookContext): Promise<Verdict> {
    for (const attachment of msg.attachments) {
      const hex = sha256Hex(attachment.sha256)
      if (hex !== null && known.has(hex)) return { action, reason }
    }
    if (perceptual !== undefined) {
      for (const attachment of msg.attachments) if ((await perceptual(attachment, ctx)) === true) return { action, reason }
    }
    return { action: 'allow' }
  }

  const plugin: ModerationPlugin = { name, version: MODERATION_VERSION, specificationVersion: 'v1' }
  for (const hook of hooks) plugin[hook] = check
  return plugin
}
