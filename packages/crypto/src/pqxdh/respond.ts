/**
 * PQXDH responder (PQXDH rev. 3 §3.4): refuse a replayed initial message or a consumed
 * one-time prekey, recompute DH1..DH4 and decapsulate, derive SK and start the ratchet as Bob
 * (RatchetInitBob: DHs = signed prekey pair, RK = SK). The first message then authenticates
 * everything; nothing is reported consumed unless it decrypts.
 */
import { BadMacError, MissingSessionError, ReplayedMessageError } from '@parley/protocol'
import { ab64 } from '../_assert.js'
import { toBase64 } from '../_bytes.js'
import { KEM_SECRET_KEY_BYTES } from '../constants.js'
import type { DeviceIdentity } from '../identity.js'
import { isKemLastResortId, type PreKeySecrets } from '../prekeys.js'
import { x25519Exchange } from '../provider/_exchange.js'
import type { CryptoProvider } from '../provider/provider.js'
import type { SessionStateV2 } from '../ratchet/state.js'
import type { PreKeyHeader } from './initial-message.js'
import { pqxdhAd, pqxdhSecret } from './kdf.js'

function secretOf(table: Record<number, string> | undefined, id: number): string | undefined {
  return table && Object.prototype.hasOwnProperty.call(table, id) ? table[id] : undefined
}

/**
 * Derives the responder's initial state from a parsed header. Does not decrypt. With
 * `peerRatchetKey` (the ratchet key of the message that carries the header) it also returns
 * `ratchetDh` = DH(SPK_B, peerRatchetKey), the first DH ratchet step's input, computed in the
 * same exchange as DH1 and DH3 (one import of SPK_B on a native provider).
 * @throws {BadMacError} the header's last-resort flag disagrees with its KEM prekey id.
 * @throws {ReplayedMessageError} one-time prekey already consumed.
 * @throws {MissingSessionError} unknown signed or last-resort prekey.
 * @throws {BadMacError} invalid keys in the header.
 */
export async function pqxdhRespond(
  ours: DeviceIdentity, preKeys: PreKeySecrets, h: PreKeyHeader, provider: CryptoProvider, peerRatchetKey?: Uint8Array,
): Promise<{ state: SessionStateV2; ratchetDh: Uint8Array | undefined }> {
  // Last-resort or one-time is derived from the KEM prekey id (our own id space), never read
  // from the header's flag; a flag that disagrees is a forgery, refused before any DH.
  const lastResort = isKemLastResortId(h.kemPreKeyId)
  if (h.kemIsLastResort !== lastResort) throw new BadMacError('KEM prekey flag does not match the prekey id')
  const spk = secretOf(preKeys?.signedPreKeys, h.signedPreKeyId)
  if (spk === undefined) throw new MissingSessionError(`unknown signed prekey ${h.signedPreKeyId}`, { deviceId: ours.deviceId })
  let opk: string | undefined
  if (h.oneTimePreKeyId !== undefined) {
    opk = secretOf(preKeys.oneTimePreKeys, h.oneTimePreKeyId)
    if (opk === undefined) throw new ReplayedMessageError('one-time prekey already used', { preKeyId: h.oneTimePreKeyId })
  }
  const kem = secretOf(preKeys.kemPreKeys, h.kemPreKeyId)
  if (kem === undefined) {
    if (lastResort) throw new MissingSessionError(`unknown KEM prekey ${h.kemPreKeyId}`, { deviceId: ours.deviceId })
    throw new ReplayedMessageError('one-time KEM prekey already used', { preKeyId: h.kemPreKeyId })
  }
  const ikB = ab64(ours.identity.secretKey, 'ours.identity.secretKey', 32)
  const ikBpub = ab64(ours.identity.publicKey, 'ours.identity.publicKey', 32)
  const spkB = ab64(spk, 'preKeys.signedPreKeys', 32)
  let sk: Uint8Array
  let ratchetDh: Uint8Array | undefined
  try {
    // DH1 = DH(SPK_B, IK_A), DH2 = DH(IK_B, EK_A), DH3 = DH(SPK_B, EK_A), DH4 = DH(OPK_B, EK_A).
    const [dh1, dh3, forRatchet] = (await x25519Exchange(provider, spkB, peerRatchetKey ? [h.identityKey, h.baseKey, peerRatchetKey] : [h.identityKey, h.baseKey])).shared
    ratchetDh = forRatchet
    const dhs = [dh1!, await provider.x25519(ikB, h.baseKey), dh3!]
    if (opk !== undefined) dhs.push(await provider.x25519(ab64(opk, 'preKeys.oneTimePreKeys', 32), h.baseKey))
    // ML-KEM decapsulation never fails: a substituted ciphertext yields an unrelated secret
    // (implicit rejection), so the first message's MAC fails.
    const ss = await provider.mlKem768Decapsulate(h.kemCiphertext, ab64(kem, 'preKeys.kemPreKeys', KEM_SECRET_KEY_BYTES), lastResort)
    sk = pqxdhSecret(dhs, ss, provider)
  } catch (e) {
    if (e instanceof TypeError) throw e
    throw new BadMacError('invalid key in initial message')
  }
  const state: SessionStateV2 = {
    v: 2,
    localIdentityKey: toBase64(ikBpub),
    remoteIdentityKey: toBase64(h.identityKey),
    ad: toBase64(pqxdhAd(h.identityKey, ikBpub)),
    baseKey: toBase64(h.baseKey),
    rootKey: toBase64(sk),
    // RatchetInitBob sets DHs = the signed prekey pair, but the responder cannot send before
    // its first decrypt, whose DH ratchet step replaces the whole sending chain: only the
    // secret is ever read, so its public key (one scalar multiplication) is not derived.
    sending: { ratchetKey: '', ratchetSecret: toBase64(spkB), chainKey: null, headerKey: null, n: 0 },
    previousCounter: 0,
    receiving: [],
    pendingPreKey: null,
  }
  return { state, ratchetDh }
}
