/**
 * Sealing, opening and franking binding on the crypto provider the server picked at start
 * (`pickProvider()`: `node:crypto` when it passes its self-test, else noble). `@parley/crypto`
 * runs their HMAC, HKDF and XChaCha20 on a provider passed as the trailing argument, with the
 * same bytes on every provider; a build of `@parley/crypto` without that argument ignores it.
 */
import { bindFranking, openAtRest, sealAtRest, type CryptoProvider } from '@parley/crypto'

type WithProvider<F extends (...args: never[]) => unknown> = (...args: [...Parameters<F>, CryptoProvider?]) => ReturnType<F>

/** `sealAtRest(dataKey, keyId, plaintext, aad, random, provider)`. */
export const sealWith = sealAtRest as WithProvider<typeof sealAtRest>
/** `openAtRest(keyring, sealed, aad, provider)`. */
export const openWith = openAtRest as WithProvider<typeof openAtRest>
/** `bindFranking(keyring, args, provider)`. */
export const bindWith = bindFranking as WithProvider<typeof bindFranking>
