/**
 * Redis for tests: unreachable → skip with a printed reason, except with CI=true (run and fail).
 * Each test uses a random stream name so runs never share state.
 */
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export async function redisAvailable(): Promise<boolean> {
  if (process.env.CI === 'true') return true
  const client = createClient({ url: REDIS_URL, socket: { connectTimeout: 2_000, reconnectStrategy: false } })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.ping()
    return true
  } catch (e) {
    console.warn(`Redis unreachable at ${REDIS_URL} (${(e as Error).message}): skipping Redis tests`)
    return false
  } finally {
    await client.quit().catch(() => undefined)
  }
}

/** A stream name no other run uses. */
export function randomStreamName(): string {
  return `parley-test-${randomBytes(6).toString('hex')}`
}
