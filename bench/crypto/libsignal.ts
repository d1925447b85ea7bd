/**
 * libsignal-client (native, AGPL: bench only) set up the same way as Parley: in-memory stores,
 * a PQXDH bundle (signed prekey, one-time prekey, Kyber prekey), then sessions.
 */
import * as S from '@signalapp/libsignal-client'

class Identity extends S.IdentityKeyStore {
  readonly peers = new Map<string, S.PublicKey>()
  constructor(readonly pair: S.IdentityKeyPair, readonly regId: number) { super() }
  async getIdentityKey() { return this.pair.privateKey }
  async getLocalRegistrationId() { return this.regId }
  async saveIdentity(name: S.ProtocolAddress, key: S.PublicKey) { this.peers.set(name.toString(), key); return S.IdentityChange.NewOrUnchanged }
  async isTrustedIdentity() { return true }
  async getIdentity(name: S.ProtocolAddress) { return this.peers.get(name.toString()) ?? null }
}
class Sessions extends S.SessionStore {
  readonly map = new Map<string, S.SessionRecord>()
  async saveSession(name: S.ProtocolAddress, record: S.SessionRecord) { this.map.set(name.toString(), record) }
  async getSession(name: S.ProtocolAddress) { return this.map.get(name.toString()) ?? null }
  async getExistingSessions(a: S.ProtocolAddress[]) { return a.map((x) => this.map.get(x.toString())!).filter(Boolean) }
}
class PreKeys extends S.PreKeyStore {
  readonly map = new Map<number, S.PreKeyRecord>()
  async savePreKey(id: number, r: S.PreKeyRecord) { this.map.set(id, r) }
  async getPreKey(id: number) { return this.map.get(id)! }
  async removePreKey() { /* kept so every timed setup can reuse the bundle */ }
}
class SignedPreKeys extends S.SignedPreKeyStore {
  readonly map = new Map<number, S.SignedPreKeyRecord>()
  async saveSignedPreKey(id: number, r: S.SignedPreKeyRecord) { this.map.set(id, r) }
  async getSignedPreKey(id: number) { return this.map.get(id)! }
}
class KyberPreKeys extends S.KyberPreKeyStore {
  readonly map = new Map<number, S.KyberPreKeyRecord>()
  async saveKyberPreKey(id: number, r: S.KyberPreKeyRecord) { this.map.set(id, r) }
  async getKyberPreKey(id: number) { return this.map.get(id)! }
  async markKyberPreKeyUsed() { /* reuse */ }
}

interface Party { addr: S.ProtocolAddress; id: Identity; sessions: Sessions; pre: PreKeys; spk: SignedPreKeys; kyber: KyberPreKeys }
function party(name: string, regId: number): Party {
  return { addr: S.ProtocolAddress.new(name, 1), id: new Identity(S.IdentityKeyPair.generate(), regId), sessions: new Sessions(), pre: new PreKeys(), spk: new SignedPreKeys(), kyber: new KyberPreKeys() }
}

/** Bob's bundle and stores. */
export async function libsignalSetup() {
  const alice = party('alice', 1)
  const bob = party('bob', 2)
  const pre = S.PrivateKey.generate()
  const spk = S.PrivateKey.generate()
  const kem = S.KEMKeyPair.generate()
  const spkSig = bob.id.pair.privateKey.sign(spk.getPublicKey().serialize())
  const kemSig = bob.id.pair.privateKey.sign(kem.getPublicKey().serialize())
  await bob.pre.savePreKey(1, S.PreKeyRecord.new(1, pre.getPublicKey(), pre))
  await bob.spk.saveSignedPreKey(2, S.SignedPreKeyRecord.new(2, 0, spk.getPublicKey(), spk, spkSig))
  await bob.kyber.saveKyberPreKey(3, S.KyberPreKeyRecord.new(3, 0, kem, kemSig))
  const bundle = S.PreKeyBundle.new(2, 1, 1, pre.getPublicKey(), 2, spk.getPublicKey(), spkSig, bob.id.pair.publicKey, 3, kem.getPublicKey(), kemSig)
  return { alice, bob, bundle }
}

type Setup = Awaited<ReturnType<typeof libsignalSetup>>

/** Initiator: process the bundle and encrypt the first message. */
export async function libsignalInitiate(s: Setup, pt: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  s.alice.sessions.map.clear()
  await S.processPreKeyBundle(s.bundle, s.bob.addr, s.alice.addr, s.alice.sessions, s.alice.id)
  return (await S.signalEncrypt(pt, s.bob.addr, s.alice.addr, s.alice.sessions, s.alice.id)).serialize()
}
/** Responder: decrypt a prekey message (new session each time). */
export async function libsignalRespond(s: Setup, ct: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  s.bob.sessions.map.clear()
  return S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(ct), s.alice.addr, s.bob.addr, s.bob.sessions, s.bob.id, s.bob.pre, s.bob.spk, s.bob.kyber)
}
/** Establishes a session both ways (one round trip). */
export async function libsignalEstablish(s: Setup): Promise<void> {
  await libsignalRespond(s, await libsignalInitiate(s, new Uint8Array([1])))
  await libsignalSend(s, 'bob', new Uint8Array([2]))
}
/** One encrypt + decrypt from `from` to the other side. */
export async function libsignalSend(s: Setup, from: 'alice' | 'bob', pt: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const [a, b] = from === 'alice' ? [s.alice, s.bob] : [s.bob, s.alice]
  const ct = await S.signalEncrypt(pt, b.addr, a.addr, a.sessions, a.id)
  if (ct.type() === S.CiphertextMessageType.PreKey)
    return S.signalDecryptPreKey(S.PreKeySignalMessage.deserialize(ct.serialize()), a.addr, b.addr, b.sessions, b.id, b.pre, b.spk, b.kyber)
  return S.signalDecrypt(S.SignalMessage.deserialize(ct.serialize()), a.addr, b.addr, b.sessions, b.id)
}
