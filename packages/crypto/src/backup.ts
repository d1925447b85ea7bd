/**
 * The container of an encrypted backup and of a history transfer (issue 17, docs/recovery.md,
 * decision 0016). A random 32-byte content key encrypts the body with the committing AEAD
 * (`aead.ts`); for a backup, that key is wrapped under a key derived from the recovery key
 * (HKDF) and optionally under one derived from a passphrase (scrypt, then HKDF). The header is
 * readable (it holds only wrapped keys and KDF parameters) and bound into the body's AD, so a
 * server cannot swap headers between backups. Layout:
 * `"PBK1" ‖ u32be(headerLength) ‖ header JSON ‖ nonce ‖ ciphertext ‖ tag`.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { BackupCorruptError, BackupKeyError, BadMacError, fromBase64, toBase64 } from '@parley/protocol'
import { abytes, astring } from './_assert.js'
import { concat, lp, readU32, u32be, utf8 } from './_bytes.js'
import { AEAD_OVERHEAD_BYTES, openWithLabel, sealWithLabel } from './aead.js'
import { hkdfSha256, LABELS } from './kdf.js'
import { systemRandom, type RandomSource } from './random.js'

/** Bytes of entropy in a recovery key (shown as 64 hex digits). */
export const RECOVERY_KEY_BYTES = 32
/** Bytes of a backup content key or history-transfer key. */
export const BACKUP_KEY_BYTES = 32
/** Bytes of the scrypt salt. */
export const BACKUP_SALT_BYTES = 16
/**
 * scrypt parameters for a passphrase (decision 0016): N = 2^17, r = 8, p = 1 — 128 MiB and
 * ~1–4 s here, OWASP's minimum for scrypt. Stored in the header, so they can rise later.
 */
export const BACKUP_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const
/**
 * Largest scrypt N a header may ask for: the N Parley writes (decision 0023). The header is
 * read before anything is authenticated, so a hostile server must not make a restore allocate
 * more than a genuine backup costs; raising {@link BACKUP_SCRYPT} raises this with it.
 */
export const MAX_BACKUP_SCRYPT_N: number = BACKUP_SCRYPT.N
/** Longest header, in bytes. */
export const MAX_BACKUP_HEADER_BYTES = 4096

const MAGIC = utf8('PBK1')

/** A key wrapped under a passphrase-derived key, with the KDF parameters that derive it. */
export interface PassphraseWrap {
  kdf: 'scrypt'
  N: number
  r: number
  p: number
  salt: string
  wrapped: string
}

/** The readable header: format version, kind, and (for a backup) the wrapped content key. */
export interface BackupHeader {
  v: 1
  kind: 'backup' | 'transfer'
  recovery?: string
  passphrase?: PassphraseWrap
}

const b64 = (b: Uint8Array) => toBase64(b)
const unb64 = (s: string) => fromBase64(s)
const HEX = '0123456789abcdef'

/**
 * A fresh recovery key: 32 random bytes as 64 lower-case hex digits in 16 groups of 4.
 * @example
 * generateRecoveryKey() // 'a1b2-c3d4-…' (79 characters with the dashes)
 */
export function generateRecoveryKey(random: RandomSource = systemRandom): string {
  const hex = Array.from(random(RECOVERY_KEY_BYTES), (b) => HEX[b >> 4]! + HEX[b & 15]!).join('')
  return hex.match(/.{4}/g)!.join('-')
}

/**
 * The bytes of a typed recovery key: case, spaces and dashes are ignored.
 * @throws {TypeError} when `recoveryKey` is not a string.
 * @throws {BackupKeyError} when it is not 64 hex digits.
 */
export function parseRecoveryKey(recoveryKey: unknown): Uint8Array {
  const s = astring(recoveryKey, 'recoveryKey').replace(/[\s-]/g, '').toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(s)) throw new BackupKeyError('a recovery key is 64 hexadecimal digits (spaces and dashes are ignored)', { using: 'recoveryKey' })
  return Uint8Array.from({ length: RECOVERY_KEY_BYTES }, (_, i) => parseInt(s.slice(2 * i, 2 * i + 2), 16))
}

function recoveryWrapKey(recoveryKey: Uint8Array): Uint8Array {
  return hkdfSha256(abytes(recoveryKey, 'recoveryKey', RECOVERY_KEY_BYTES), undefined, LABELS.backupRecovery, 32)
}

async function passphraseWrapKey(passphrase: string, salt: Uint8Array, params: { N: number; r: number; p: number }): Promise<Uint8Array> {
  // NFKC: the same passphrase typed on two keyboards gives the same bytes.
  const stretched = await scryptAsync(utf8(passphrase.normalize('NFKC')), salt, { ...params, dkLen: 32, maxmem: 2 ** 31 })
  return hkdfSha256(stretched, undefined, LABELS.backupPassphrase, 32)
}

/**
 * The header of a backup: the content key wrapped under the recovery key and/or the
 * passphrase (scrypt {@link BACKUP_SCRYPT}); at least one. `ad` binds the wraps to their owner.
 * A restored device re-wraps a fresh content key under the one secret it was given.
 * @throws {TypeError|RangeError} on bad keys, an empty passphrase, or neither secret.
 */
export async function backupHeader(args: { contentKey: Uint8Array; recoveryKey?: Uint8Array; passphrase?: string; ad: Uint8Array; random?: RandomSource }): Promise<BackupHeader> {
  const random = args.random ?? systemRandom
  abytes(args.contentKey, 'contentKey', BACKUP_KEY_BYTES)
  if (args.recoveryKey === undefined && args.passphrase === undefined) throw new TypeError('"recoveryKey" or "passphrase" expected: a backup nobody can open is useless')
  const header: BackupHeader = { v: 1, kind: 'backup' }
  if (args.recoveryKey !== undefined) header.recovery = b64(sealWithLabel(recoveryWrapKey(args.recoveryKey), LABELS.backupWrap, args.contentKey, lp(args.ad), random))
  if (args.passphrase !== undefined) {
    astring(args.passphrase, 'passphrase', true)
    const salt = random(BACKUP_SALT_BYTES)
    const kek = await passphraseWrapKey(args.passphrase, salt, BACKUP_SCRYPT)
    header.passphrase = { kdf: 'scrypt', ...BACKUP_SCRYPT, salt: b64(salt), wrapped: b64(sealWithLabel(kek, LABELS.backupWrap, args.contentKey, lp(args.ad), random)) }
  }
  return header
}

/** Seals `plaintext` under `contentKey` with `header` in front (the header is bound into the AD). */
export function sealBackup(args: { contentKey: Uint8Array; header: BackupHeader; plaintext: Uint8Array; ad: Uint8Array; random?: RandomSource }): Uint8Array {
  abytes(args.contentKey, 'contentKey', BACKUP_KEY_BYTES)
  abytes(args.plaintext, 'plaintext')
  const head = utf8(JSON.stringify(args.header))
  if (head.length > MAX_BACKUP_HEADER_BYTES) throw new RangeError(`"header" expected at most ${MAX_BACKUP_HEADER_BYTES} bytes, got length=${head.length}`)
  const body = sealWithLabel(args.contentKey, LABELS.backupBody, args.plaintext, concat(lp(head), lp(args.ad)), args.random)
  return concat(MAGIC, u32be(head.length), head, body)
}

/** A parsed container: the header and the sealed body. */
export interface OpenedContainer {
  header: BackupHeader
  headerBytes: Uint8Array
  body: Uint8Array
}

const corrupt = (reason: string) => new BackupCorruptError(undefined, { reason })

/**
 * Splits a container into header and body, checking the header's shape and KDF bounds.
 * @throws {BackupCorruptError} when the bytes are no container.
 */
export function readBackup(bytes: Uint8Array): OpenedContainer {
  const { header, headerBytes } = readBackupHeader(bytes)
  if (8 + headerBytes.length + AEAD_OVERHEAD_BYTES > bytes.length) throw corrupt('bad header length')
  return { header, headerBytes, body: bytes.subarray(8 + headerBytes.length) }
}

/**
 * The header of a container from its first bytes (the first chunk of a stored blob holds it):
 * what a device compares with its own settings before it overwrites a backup.
 * @throws {BackupCorruptError} when the bytes start no container.
 */
export function readBackupHeader(bytes: Uint8Array): { header: BackupHeader; headerBytes: Uint8Array } {
  abytes(bytes, 'bytes')
  if (bytes.length < 8 || !MAGIC.every((b, i) => bytes[i] === b)) throw corrupt('not a backup container')
  const len = readU32(bytes, 4)
  if (len > MAX_BACKUP_HEADER_BYTES || 8 + len > bytes.length) throw corrupt('bad header length')
  const headerBytes = bytes.subarray(8, 8 + len)
  let header: BackupHeader
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)) as BackupHeader
  } catch {
    throw corrupt('header is not JSON')
  }
  if (!isHeader(header)) throw corrupt('malformed header')
  return { header, headerBytes }
}

function isHeader(h: BackupHeader): boolean {
  if (typeof h !== 'object' || h === null || h.v !== 1 || (h.kind !== 'backup' && h.kind !== 'transfer')) return false
  if (h.recovery !== undefined && typeof h.recovery !== 'string') return false
  const p = h.passphrase
  if (p === undefined) return true
  return typeof p === 'object' && p !== null && p.kdf === 'scrypt' && Number.isInteger(p.N) && p.N >= 2 ** 10 && p.N <= MAX_BACKUP_SCRYPT_N && (p.N & (p.N - 1)) === 0
    && p.r === 8 && p.p === 1 && typeof p.salt === 'string' && typeof p.wrapped === 'string'
}

function unwrap(kek: Uint8Array, wrapped: string, ad: Uint8Array, using: 'recoveryKey' | 'passphrase'): Uint8Array {
  try {
    const key = openWithLabel(kek, LABELS.backupWrap, unb64(wrapped), lp(ad))
    if (key.length !== BACKUP_KEY_BYTES) throw new BadMacError()
    return key
  } catch {
    throw new BackupKeyError(undefined, { using })
  }
}

/**
 * The content key, unwrapped with the recovery key or the passphrase.
 * @throws {BackupKeyError} when it does not open (wrong key or passphrase, or no such wrap).
 */
export async function unwrapBackupKey(header: BackupHeader, secret: { recoveryKey: Uint8Array } | { passphrase: string }, ad: Uint8Array): Promise<Uint8Array> {
  if ('recoveryKey' in secret) {
    if (!header.recovery) throw new BackupKeyError('this backup has no recovery-key wrap', { using: 'recoveryKey' })
    return unwrap(recoveryWrapKey(secret.recoveryKey), header.recovery, ad, 'recoveryKey')
  }
  const p = header.passphrase
  if (!p) throw new BackupKeyError('this backup was made without a passphrase: use the recovery key', { using: 'passphrase' })
  astring(secret.passphrase, 'passphrase', true)
  return unwrap(await passphraseWrapKey(secret.passphrase, unb64(p.salt), p), p.wrapped, ad, 'passphrase')
}

/**
 * Opens the body with the content key.
 * @throws {BackupCorruptError} when it fails authentication (altered bytes, another header or owner).
 */
export function openBackup(contentKey: Uint8Array, container: OpenedContainer, ad: Uint8Array): Uint8Array {
  try {
    return openWithLabel(abytes(contentKey, 'contentKey', BACKUP_KEY_BYTES), LABELS.backupBody, container.body, concat(lp(container.headerBytes), lp(ad)))
  } catch {
    throw corrupt('the body fails authentication')
  }
}
