/**
 * Scale-out: attaches `@socket.io/redis-streams-adapter` so rooms (and so deliveries to a
 * device, typing, receipts, notices) reach sockets on every node. The store stays the source
 * of truth: the stream is trimmed, and a device that misses a live event catches up from its
 * inbox cursor.
 */
import { createAdapter } from '@socket.io/redis-streams-adapter'
import { createClient } from 'redis'
import { DEFAULT_REDIS_STREAM, type ParleyIo, type RedisOptions } from './options.js'

/**
 * Connects to Redis and installs the streams adapter on `io`. Returns a function that
 * disconnects the Redis client.
 * @example const stop = await attachRedisAdapter(io, { url: 'redis://127.0.0.1:6379' })
 */
export async function attachRedisAdapter(io: ParleyIo, options: RedisOptions): Promise<() => Promise<void>> {
  const client = createClient({ url: options.url })
  client.on('error', () => undefined) // reconnects on its own; errors surface on commands
  await client.connect()
  io.adapter(createAdapter(client, { streamName: options.streamName ?? DEFAULT_REDIS_STREAM }) as never)
  return async () => {
    await client.quit().catch(() => client.disconnect())
  }
}
