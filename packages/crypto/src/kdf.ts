/**
 * HKDF-SHA256 (RFC 5869) and HMAC-SHA256 (RFC 2104) with Parley's info labels declared once
 * in {@link LABELS}: every HKDF use has its own label, so no derived key serves two purposes.
 * Both run on the given provider's symmetric primitives (noble by default).
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { utf8 } from './_bytes.js'
import { nobleSymmetric } from './provider/_noble-symmetric.js'
import type { SymmetricPrimitives } from './provider/provider.js'

/** Every HKDF info label and MAC domain label Parley uses, one per purpose. */
export const LABELS = {
  pqxdh: 'Parley_PQXDH_CURVE25519_SHA-256_ML-KEM-768',
  rootKey: 'Parley_Ratchet_RootKey_v2',
  headerMac: 'Parley_Ratchet_HeaderMAC_v2',
  messageKeys: 'Parley_Ratchet_MessageKeys_v1',
  aead: 'Parley_AEAD_XChaCha20_HMAC-SHA256_v1',
  attachment: 'Parley_Attachment_v1',
  thumbnail: 'Parley_Thumbnail_v1',
  atRest: 'Parley_AtRest_v1',
  franking: 'Parley_Franking_Commit_v1',
  frankingBind: 'Parley_Franking_Bind_v1',
  link: 'Parley_DeviceLink_v1',
  linkCode: 'Parley_LinkCode_v1',
  deviceList: 'Parley_DeviceList_v1',
  helloProof: 'Parley_HelloProof_v1',
  preKey: 'Parley_PreKey_v1',
  kemPreKey: 'Parley_KemPreKey_v1',
  initialMessage: 'Parley_InitialMessage_v1',
  messageAd: 'Parley_Message_AD_v1',
  backupRecovery: 'Parley_Backup_RecoveryKey_v1',
  backupPassphrase: 'Parley_Backup_Passphrase_v1',
  backupWrap: 'Parley_Backup_KeyWrap_v1',
  backupBody: 'Parley_Backup_Body_v1',
} as const

const labelBytes = new Map<string, Uint8Array>()
/** The UTF-8 bytes of a label, cached. */
export function label(text: string): Uint8Array {
  let b = labelBytes.get(text)
  if (!b) labelBytes.set(text, (b = utf8(text)))
  return b
}

/** HKDF-SHA256 under a label. `salt` undefined means 32 zero bytes, as RFC 5869 says. */
export function hkdfSha256(
  ikm: Uint8Array, salt: Uint8Array | undefined, info: string, length: number, sym: SymmetricPrimitives = nobleSymmetric,
): Uint8Array {
  return sym.hkdfSha256(ikm, salt, label(info), length)
}

/** HMAC-SHA256. */
export function hmacSha256(key: Uint8Array, message: Uint8Array, sym: SymmetricPrimitives = nobleSymmetric): Uint8Array {
  return sym.hmacSha256(key, message)
}

/** SHA-256. */
export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data)
}
