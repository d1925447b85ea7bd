/**
 * Device authentication at `hello` (docs/protocol.md, "Exchange"): a device with keys asks
 * for this connection's challenge (`hello.challenge`) and signs it with its Ed25519 signing
 * key (`signHelloProof`), so the server attaches the connection to this device only when it
 * holds the key the server registered — a stolen user token alone is not enough. A device
 * without keys yet (first run, or a new linked device) says hello without a proof.
 */
import { SUPPORTED_PROTOCOL_VERSIONS, type ClientAckData, type Hello } from '@parley/protocol'
import { signHelloProof } from '@parley/crypto'
import type { Connection } from '../connection.js'
import type { SelfRecord } from '../store-layout.js'

/**
 * Says hello as `deviceId`, with a proof of the device signing key when `self` holds one.
 * @throws {DeviceProofError} when the server has this device under another signing key.
 * @throws the connection's typed errors (`ConnectionError`, `TimeoutError`, …).
 */
export async function sayHello(conn: Connection, deviceId: string, self: SelfRecord | null): Promise<ClientAckData<'hello'>> {
  const frame: Hello = { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId }
  if (self && self.deviceId === deviceId) {
    const { nonce } = await conn.request('hello.challenge', {})
    frame.proof = { nonce, signature: signHelloProof(self.device, { nonce, userId: self.userId, deviceId }) }
  }
  return conn.request('hello', frame)
}
