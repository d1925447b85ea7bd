/**
 * PQXDH initiator (PQXDH rev. 3 §3.3): verify the bundle's signatures before any DH, run
 * DH1..DH4 and ML-KEM-768 encapsulation, derive SK, and start the Double Ratchet as Alice
 * (Double Ratchet §3.3, RatchetInitAlice) with the signed prekey as Bob's first ratchet key.
 */
import type { DeviceBundle } from '@parley/protocol'
import { ab64 } from '../_assert.js'
import { toBase64 } from '../_bytes.js'
import type { DeviceIdentity } from '../identity.js'
import { checkBundle, isKemLastResortId } from '../prekeys.js'
import { x25519Exchange } from '../provider/_exchange.js'
import type { CryptoProvider } from '../provider/provider.js'
import { systemRandom, type RandomSource } from '../random.js'
import { kdfRoot } from '../ratchet/chain-key.js'
import type { SessionStateV2 } from '../ratchet/state.js'
import { encodePreKeyHeader } from './initial-message.js'
import { pqxdhAd, pqxdhSecret } from './kdf.js'

/**
 * Runs the initiator side.
 * @throws {InvalidSignatureError} when a prekey signature fails (before any DH).
 * @throws {InvalidFrameError} when the bundle is malformed.
 */
export async function pqxdhInitiate(ours: DeviceIdentity, theirs: DeviceBundle, provider: CryptoProvider, random: RandomSource): Promise<SessionStateV2> {
  const { identityKey: ikB, signedPreKey: spkB, kemPreKey: pqpkB, oneTimePreKey: opkB } = await checkBundle(theirs, provider)
  const ikA = ab64(ours.identity.secretKey, 'ours.identity.secretKey', 32)
  const ikApub = ab64(ours.identity.publicKey, 'ours.identity.publicKey', 32)

  // DH1 = DH(IK_A, SPK_B); DH2..DH4 = DH(EK_A, IK_B | SPK_B | OPK_B), one exchange per secret.
  const ekA = random(32)
  const [dh1] = (await x25519Exchange(provider, ikA, [spkB])).shared
  const ek = await x25519Exchange(provider, ekA, opkB ? [ikB, spkB, opkB] : [ikB, spkB], true)
  const ekApub = ek.publicKey!
  const dhs = [dh1!, ...ek.shared]
  // A caller-supplied RandomSource (tests, vectors) must fix every byte, so it supplies ML-KEM's
  // `m` and noble encapsulates; with the system CSPRNG the provider may draw `m` natively.
  const { cipherText, sharedSecret } = await provider.mlKem768Encapsulate(pqpkB, random === systemRandom ? undefined : random(32))
  const sk = pqxdhSecret(dhs, sharedSecret, provider)

  // The flag follows the KEM prekey's signed id, not the server's `kemPreKeyIsLastResort`.
  const header = encodePreKeyHeader({
    identityKey: ikApub, baseKey: ekApub, signedPreKeyId: theirs.signedPreKey.id, kemPreKeyId: theirs.kemPreKey.id,
    kemIsLastResort: isKemLastResortId(theirs.kemPreKey.id), oneTimePreKeyId: theirs.oneTimePreKey?.id, kemCiphertext: cipherText,
  })
  // RatchetInitAlice: DHs = new pair, DHr = SPK_B, (RK, CKs) = KDF_RK(SK, DH(DHs, DHr)).
  const ratchetSecret = random(32)
  const ratchet = await x25519Exchange(provider, ratchetSecret, [spkB], true)
  const ratchetPub = ratchet.publicKey!
  const root = kdfRoot(sk, ratchet.shared[0]!, provider)
  return {
    v: 2,
    localIdentityKey: toBase64(ikApub),
    remoteIdentityKey: toBase64(ikB),
    ad: toBase64(pqxdhAd(ikApub, ikB)),
    baseKey: toBase64(ekApub),
    rootKey: toBase64(root.rootKey),
    sending: { ratchetKey: toBase64(ratchetPub), ratchetSecret: toBase64(ratchetSecret), chainKey: toBase64(root.chainKey), headerKey: toBase64(root.headerKey), n: 0 },
    previousCounter: 0,
    receiving: [],
    pendingPreKey: toBase64(header),
  }
}
