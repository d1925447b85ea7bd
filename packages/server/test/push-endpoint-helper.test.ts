/**
 * The push test helper's VAPID keys are always 32-byte private keys of their public key:
 * `ECDH.getPrivateKey()` drops leading zero bytes (about 1 key in 256), which web-push refuses
 * ("Vapid private key should be 32 bytes long") — a red CI run on Node 26 came from it.
 */
import { createECDH } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { vapidKeys } from './helpers/push-endpoint.js'

describe('vapidKeys()', () => {
  it('always gives a 32-byte private key that belongs to its public key (2,000 keys)', () => {
    for (let i = 0; i < 2_000; i++) {
      const k = vapidKeys()
      const secret = Buffer.from(k.privateKey, 'base64url')
      expect(secret.length).toBe(32)
      const ecdh = createECDH('prime256v1')
      ecdh.setPrivateKey(secret)
      expect(ecdh.getPublicKey().toString('base64url')).toBe(k.publicKey)
    }
  })
})
