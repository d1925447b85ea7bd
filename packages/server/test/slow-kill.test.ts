/**
 * Kill test: a server process is SIGKILLed while acks are going out and the recipient is
 * offline (so every acked message sits between ack and delivery). After a restart on the same
 * PGlite data dir (or PostgreSQL database), every acked message is delivered, once after dedup.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { Delivery } from '@parley/protocol'
import { connect, connectDevice, ok, uniqueMessages } from './helpers/client.js'
import { makeTestUser, plainSend } from './helpers/device.js'
import { freshPgliteDir } from './helpers/pglite.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'
import { spawnServer, type ServerChild } from './helpers/spawn.js'
import type { ChildConfig } from './helpers/server-child.js'

const pgUp = await postgresAvailable()
const SENDS = 300
const KILL_AFTER_ACKS = 60

async function killBetweenAckAndDelivery(config: ChildConfig): Promise<{ acked: string[]; delivered: Delivery[] }> {
  const alice = makeTestUser(1)
  const bob = makeTestUser(1)
  let child: ServerChild = await spawnServer(config)
  try {
    const a = await connectDevice(child.url, alice)
    const b = await connectDevice(child.url, bob)
    b.close()
    const { conversation } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
    const acked: string[] = []
    let killed = false
    await new Promise<void>((resolve) => {
      a.socket.on('disconnect', () => resolve())
      for (let i = 0; i < SENDS; i++) {
        a.socket.emit('message.send', plainSend(conversation.id, `m${i}`), (r: { ok: boolean; data?: { messageId: string } }) => {
          if (!r.ok || killed) return
          acked.push(r.data!.messageId)
          if (acked.length >= KILL_AFTER_ACKS) {
            killed = true
            child.process.kill('SIGKILL')
          }
        })
      }
    })
    await child.exited
    expect(child.process.signalCode).toBe('SIGKILL')
    a.close()
    child = await spawnServer(config)
    const b2 = await connectDevice(child.url, bob)
    const want = new Set(acked)
    const got = await b2.messages.until((items) => [...want].every((id) => items.some((d) => d.messageId === id)), 30_000)
    b2.close()
    return { acked, delivered: got }
  } finally {
    await child.kill('SIGKILL')
  }
}

function checkNothingLost({ acked, delivered }: { acked: string[]; delivered: Delivery[] }) {
  expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS)
  const unique = uniqueMessages(delivered)
  const ids = new Set(unique.map((d) => d.messageId))
  for (const id of acked) expect(ids.has(id)).toBe(true)
  const seqs = unique.map((d) => d.seq)
  expect(new Set(seqs).size).toBe(seqs.length)
  expect(unique.every((d) => d.body?.text.startsWith('m'))).toBe(true)
}

describe('SIGKILL between ack and delivery', () => {
  it('PGlite data dir: every acked message is delivered after restart', async () => {
    const dataDir = await freshPgliteDir()
    checkNothingLost(await killBetweenAckAndDelivery({ store: 'pglite', dataDir }))
  }, 120_000)

  describe.skipIf(!pgUp)('PostgreSQL', () => {
    let db: Awaited<ReturnType<typeof freshDatabase>> | undefined
    afterAll(async () => {
      await db?.drop()
    })
    it('every acked message is delivered after restart', async () => {
      db = await freshDatabase()
      checkNothingLost(await killBetweenAckAndDelivery({ store: 'postgres', databaseUrl: db.url }))
    }, 120_000)
  })

  it('the unauthenticated child refuses connections (sanity of the child harness)', async () => {
    const child = await spawnServer({ store: 'memory' })
    try {
      await expect(connect(child.url, 'bad')).rejects.toMatchObject({ data: { code: 'unauthorized' } })
    } finally {
      await child.kill()
    }
  }, 60_000)
})
