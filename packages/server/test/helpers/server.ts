/**
 * An in-process Parley server on a loopback port for tests, with a silent logger, fixed keys
 * and token = user id auth (tokens starting with "bad" are refused).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { UnauthorizedError } from '@parley/protocol'
import { createParleyServer, type ParleyServer } from '../../src/create-server.js'
import type { ParleyServerOptions } from '../../src/options.js'
import { memoryStore } from '../../src/store/memory-store.js'

/** Fixed test keys (hex of 32 bytes), so restarts can read what earlier runs wrote. */
export const TEST_FRANKING_KEY_HEX = '11'.repeat(32)
export const TEST_DATA_KEY_HEX = '22'.repeat(32)

export const testKeys = () => ({
  frankingKeys: { currentKid: 'fk1', keys: { fk1: new Uint8Array(Buffer.from(TEST_FRANKING_KEY_HEX, 'hex')) } },
  dataKeys: { currentKid: 'dk1', keys: { dk1: new Uint8Array(Buffer.from(TEST_DATA_KEY_HEX, 'hex')) } },
})

/** Token = user id; "bad…" or missing → UnauthorizedError. */
export function testAuthenticate(handshake: { auth: Record<string, unknown> }): { userId: string } {
  const token = handshake.auth?.token
  if (typeof token !== 'string' || token.startsWith('bad')) throw new UnauthorizedError('bad token')
  return { userId: token }
}

export interface TestServer {
  url: string
  parley: ParleyServer
  close(): Promise<void>
}

/** Starts a server on 127.0.0.1 with a random port. */
export async function startTestServer(options: Partial<ParleyServerOptions> = {}): Promise<TestServer> {
  const httpServer = createServer()
  const parley = createParleyServer({
    httpServer, policy: 'server-side', store: memoryStore(), authenticate: testAuthenticate,
    logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }), ...testKeys(), ...options,
  } as ParleyServerOptions)
  await parley.ready
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))
  const { port } = httpServer.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, parley, close: () => parley.close() }
}
