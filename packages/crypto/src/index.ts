/**
 * `@parley/crypto`: PQXDH (X25519 + ML-KEM-768), the Double Ratchet, a key-committing AEAD,
 * message and transcript franking, safety numbers, at-rest sealing and device linking, built
 * on noble with optional native providers (`node:crypto`, WebCrypto) behind one seam.
 *
 * @example
 * import { initiateSession, encryptMessage, decryptMessage, pickProvider } from '@parley/crypto'
 * const provider = await pickProvider()
 * const state = await initiateSession({ ours: alice, theirs: bobBundle, provider })
 *
 * @packageDocumentation
 */
export * from './constants.js'
export { systemRandom, seededRandom, type RandomSource } from './random.js'
export { LABELS } from './kdf.js'
export type { CryptoProvider, Awaitable, AcceleratedPrimitive, SymmetricPrimitives, KemEncapsulation, X25519Exchange } from './provider/provider.js'
export { nobleProvider } from './provider/noble.js'
export { nodeNativeProvider, nodeProviderNotes, type NodeProviderNotes } from './provider/node-native.js'
export { webCryptoProvider } from './provider/webcrypto.js'
export { pickProvider, providerChoice, type ProviderChoice } from './provider/pick.js'
export { selfTest as providerSelfTest, selfTestFailure as providerSelfTestFailure } from './provider/self-test.js'
export { passesEd25519Precheck, verifyEd25519Strict } from './ed25519-rule.js'
export { MAX_HKDF_SHA256_BYTES } from './provider/_noble-symmetric.js'
export {
  generateUserIdentity, generateDeviceIdentity, generateEd25519KeyPair, generateX25519KeyPair, sign, verify, verifyWith, ed25519PairMatches,
  type KeyPair, type UserIdentity, type DeviceIdentity,
} from './identity.js'
export { checkIdentity, assertSameIdentity, type IdentityCheck } from './identity-pin.js'
export { signDeviceList, verifyDeviceList, verifyDeviceListWith, deviceListSigningBytes, type DeviceListEntry, type DeviceListInput } from './device-list.js'
export {
  generatePreKeys, generatePreKeysWith, verifyBundle, verifyBundleWith, preKeySigningBytes, kemPreKeySigningBytes, isKemLastResortId,
  type PreKeySecrets, type PreKeyBatch, type SignedPublicPreKey, type GeneratePreKeysOptions,
} from './prekeys.js'
export { initiateSession, encryptMessage, decryptMessage, continuesSession, type UsedPreKeys } from './session.js'
export { sessionPeerIdentity, type SessionState, type SessionStateV2, type ReceivingChain, type SendingChain } from './ratchet/state.js'
export type { MessageContext, MessageType } from './ratchet/message.js'
export { PREKEY_HEADER_BYTES } from './pqxdh/initial-message.js'
export {
  aeadEncrypt, aeadDecrypt, AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, AEAD_OVERHEAD_BYTES,
} from './aead.js'
export { encryptAttachment, decryptAttachment, sha256Base64 } from './attachment.js'
export { sealThumbnail, openThumbnail } from './thumbnail.js'
export {
  FileSealer, FileOpener, sealFile, openFile, fileChunkCount, fileCiphertextSize, FILE_STREAM_VERSION, FILE_KEY_BYTES, FILE_SALT_BYTES,
  FILE_COMMITMENT_BYTES, FILE_HEADER_BYTES, FILE_CHUNK_BYTES, FILE_TAG_BYTES, FILE_SEALED_CHUNK_BYTES, MAX_FILE_CHUNKS, FILE_STREAM_LABEL,
  type FileStreamOptions,
} from './file-stream.js'
export { sha256Stream, type Sha256Stream } from './file-hash.js'
export { DeferredFileSealer, FILE_SEAL_WORKER_SOURCE, type FileSealJob, type FileSealWorkerData } from './file-seal-worker.js'
export { frankMessage, checkFranking, frankingBytes, type FrankableMessage } from './franking/commit.js'
export { generateFrankingKey, bindFranking, FRANKING_KEY_BYTES, type FrankingKeyring } from './franking/bind.js'
export { verifyReportedMessage, verifyTranscript, MAX_TRANSCRIPT_GAPS } from './franking/verify.js'
export { signModeChange, verifyModeChange } from './mode-change.js'
export { signDisappearing, verifyDisappearing } from './disappearing.js'
export { signMessageRef, verifyMessageRef } from './message-ref.js'
export { sealGroupTitle, sealGroupTitleWith, openGroupTitle, GROUP_TITLE_KEY_BYTES, GROUP_TITLE_BLOCK_BYTES, type SealedTitleContext, type TitleRecipient } from './group-title.js'
export { applyRosterRecord, emptyRoster, rosterHash, rosterMembers, signRosterRecord, verifyRosterSignature, type RosterState } from './roster.js'
export {
  createSenderKey, senderKeyDistribution, senderKeyFromDistribution, senderKeyDiscardNext, senderKeyEncrypt, senderKeyEncryptWith, senderKeyDecrypt, senderKeyAd, senderKeyMessageId,
  SENDER_KEY_MESSAGE_VERSION, SENDER_KEY_MAX_SKIP, SENDER_KEY_MAX_STORED_KEYS, type SenderKeyState, type SenderKeyDistribution,
} from './sender-key/sender-key.js'
export { helloProofBytes, signHelloProof, verifyHelloProof, HELLO_PROOF_NONCE_BYTES, type HelloProofInput } from './hello-proof.js'
export { safetyNumber, fingerprintHash, SAFETY_NUMBER_ITERATIONS, SAFETY_NUMBER_DIGITS } from './safety-number.js'
export { sealAtRest, openAtRest, sealedKeyId, generateDataKey, DATA_KEY_BYTES, MAX_KEY_ID_BYTES, MAX_CACHED_DATA_KEYS, type DataKeyring } from './seal.js'
export {
  generateLinkCode, normalizeLinkCode, linkCodeHash, generateEphemeralKeyPair, linkEncrypt, linkDecrypt, LINK_CODE_BYTES,
} from './link.js'
export {
  generateRecoveryKey, parseRecoveryKey, backupHeader, sealBackup, readBackup, readBackupHeader, unwrapBackupKey, openBackup,
  RECOVERY_KEY_BYTES, BACKUP_KEY_BYTES, BACKUP_SALT_BYTES, BACKUP_SCRYPT, MAX_BACKUP_SCRYPT_N, MAX_BACKUP_HEADER_BYTES,
  type BackupHeader, type PassphraseWrap, type OpenedContainer,
} from './backup.js'
