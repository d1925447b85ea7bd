/**
 * The backup container (decision 0016): the recovery key and the passphrase each open the
 * content key; a wrong one is a `BackupKeyError`; altered bytes, another owner's AD or a
 * swapped header are a `BackupCorruptError`; a hostile header cannot ask for a huge scrypt.
 */
import { describe, expect, it } from 'vitest'
import { BackupCorruptError, BackupKeyError } from '@parley/protocol'
import {
  BACKUP_SCRYPT, MAX_BACKUP_SCRYPT_N, backupHeader, ed25519PairMatches, generateRecoveryKey, generateUserIdentity, openBackup, parseRecoveryKey, readBackup, readBackupHeader, sealBackup, unwrapBackupKey,
} from '../src/index.js'
import { randomBytes } from 'node:crypto'

const utf8 = (s: string) => new TextEncoder().encode(s)
const ad = utf8('alice')

describe('backup container', () => {
  it('a recovery key is 64 hex digits; case, spaces and dashes are ignored; anything else is a BackupKeyError', () => {
    const key = generateRecoveryKey()
    expect(key.replace(/-/g, '')).toMatch(/^[0-9a-f]{64}$/)
    const bytes = parseRecoveryKey(key)
    expect(parseRecoveryKey(key.toUpperCase().replace(/-/g, ' '))).toEqual(bytes)
    expect(() => parseRecoveryKey(key.slice(0, -1))).toThrow(BackupKeyError)
    expect(() => parseRecoveryKey(key.replace(/^./, 'z'))).toThrow(BackupKeyError)
    expect(() => parseRecoveryKey(42)).toThrow(TypeError)
  })

  it('opens with the recovery key; a wrong key, altered body, other owner or swapped header fail typed', async () => {
    const contentKey = new Uint8Array(randomBytes(32))
    const recoveryKey = parseRecoveryKey(generateRecoveryKey())
    const header = await backupHeader({ contentKey, recoveryKey, ad })
    const sealed = sealBackup({ contentKey, header, plaintext: utf8('history'), ad })
    const c = readBackup(sealed)
    const key = await unwrapBackupKey(c.header, { recoveryKey }, ad)
    expect(new TextDecoder().decode(openBackup(key, c, ad))).toBe('history')

    await expect(unwrapBackupKey(c.header, { recoveryKey: parseRecoveryKey(generateRecoveryKey()) }, ad)).rejects.toThrow(BackupKeyError)
    await expect(unwrapBackupKey(c.header, { recoveryKey }, utf8('mallory'))).rejects.toThrow(BackupKeyError)
    await expect(unwrapBackupKey(c.header, { passphrase: 'x' }, ad)).rejects.toThrow(BackupKeyError)
    const altered = sealed.slice()
    altered[altered.length - 40]! ^= 1
    expect(() => openBackup(key, readBackup(altered), ad)).toThrow(BackupCorruptError)
    expect(() => openBackup(key, c, utf8('mallory'))).toThrow(BackupCorruptError)
    // Another backup's header in front of this body: the body's AD no longer matches.
    const other = await backupHeader({ contentKey, recoveryKey, ad })
    const swapped = sealBackup({ contentKey, header: other, plaintext: utf8('x'), ad })
    const mixed = readBackup(swapped)
    expect(() => openBackup(key, { ...mixed, body: c.body }, ad)).toThrow(BackupCorruptError)
    expect(() => readBackup(utf8('not a backup at all, just bytes'))).toThrow(BackupCorruptError)
  })

  it('a hostile header cannot ask for more scrypt work than Parley writes (N = 2^17); control: N = 2^17 reads', () => {
    const contentKey = new Uint8Array(randomBytes(32))
    const withN = (N: number) => ({ v: 1, kind: 'backup', passphrase: { kdf: 'scrypt', N, r: 8, p: 1, salt: 'AAAA', wrapped: 'AAAA' } }) as never
    expect(MAX_BACKUP_SCRYPT_N).toBe(BACKUP_SCRYPT.N)
    for (const N of [2 ** 18, 2 ** 20, 2 ** 24]) {
      expect(() => readBackup(sealBackup({ contentKey, header: withN(N), plaintext: utf8('x'), ad }))).toThrow(BackupCorruptError)
    }
    expect(readBackup(sealBackup({ contentKey, header: withN(BACKUP_SCRYPT.N), plaintext: utf8('x'), ad })).header).toMatchObject({ passphrase: { N: BACKUP_SCRYPT.N } })
  })

  it('a header wraps under either secret alone, never neither; readBackupHeader reads it from a first chunk', async () => {
    const contentKey = new Uint8Array(randomBytes(32))
    const recoveryKey = parseRecoveryKey(generateRecoveryKey())
    const onlyRecovery = await backupHeader({ contentKey, recoveryKey, ad })
    expect(onlyRecovery.passphrase).toBeUndefined()
    expect(await unwrapBackupKey(onlyRecovery, { recoveryKey }, ad)).toEqual(contentKey)
    await expect(backupHeader({ contentKey, ad })).rejects.toThrow(TypeError)
    const sealed = sealBackup({ contentKey, header: onlyRecovery, plaintext: new Uint8Array(5000), ad })
    expect(readBackupHeader(sealed.subarray(0, 600)).header).toEqual(onlyRecovery)
    expect(() => readBackupHeader(sealed.subarray(0, 20))).toThrow(BackupCorruptError)
  })

  it('ed25519PairMatches tells a matching key pair from a swapped or malformed one', () => {
    const a = generateUserIdentity()
    const b = generateUserIdentity()
    expect(ed25519PairMatches(a)).toBe(true)
    expect(ed25519PairMatches({ publicKey: a.publicKey, secretKey: b.secretKey })).toBe(false)
    expect(ed25519PairMatches({ publicKey: a.publicKey, secretKey: 'AAAA' })).toBe(false)
  })

  it('opens with the passphrase (scrypt N=2^17, r=8, p=1); a wrong passphrase is a BackupKeyError', async () => {
    const contentKey = new Uint8Array(randomBytes(32))
    const recoveryKey = parseRecoveryKey(generateRecoveryKey())
    const header = await backupHeader({ contentKey, recoveryKey, passphrase: 'correct horse', ad })
    expect(header.passphrase).toMatchObject({ kdf: 'scrypt', ...BACKUP_SCRYPT })
    expect(await unwrapBackupKey(header, { passphrase: 'correct horse' }, ad)).toEqual(contentKey)
    await expect(unwrapBackupKey(header, { passphrase: 'wrong horse' }, ad)).rejects.toThrow(BackupKeyError)
  }, 60_000)
})
