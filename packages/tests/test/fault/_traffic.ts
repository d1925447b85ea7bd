/**
 * Steady traffic for the fault scenarios: pairs of real clients (sender → receiver, 1:1),
 * each sender sending a numbered message every few ms while a fault happens, and a ledger of
 * what every side observed — what was queued, acked, refused, reported `sent` and received —
 * so the scenario can check that nothing acked was lost or doubled and nothing unacked was
 * reported as sent.
 */
import { randomBytes } from 'node:crypto'
import type { ErrorPayload, Message, ParleyClient } from '@parley/client'
import { connect, waitFor } from '../helpers/parley.js'

export interface Pair {
  index: number
  sender: ParleyClient
  receiver: ParleyClient
  conversationId: string
}

/** Everything the clients observed, keyed by message text (`<run>:<pair>:<n>`, unique). */
export interface Ledger {
  /** Texts handed to `send()` (queued durably by the client). */
  queued: Set<string>
  /** Text → server message id, for sends whose promise resolved (the server acked). */
  acked: Map<string, string>
  /** Text → error code, for sends whose promise rejected. */
  refused: Map<string, string>
  /** Text → client message id (from the optimistic `pending` event). */
  clientIds: Map<string, string>
  /** Message ids the senders' clients reported with status `sent`. */
  reportedSent: Map<string, string>
  /** Every `received` message event (duplicates included) per receiver. */
  received: Message[]
  /** Every client `'error'` event. */
  errors: ErrorPayload[]
  /** `ready` events per client after it first connected (reconnects, no reload). */
  reconnects: Map<ParleyClient, number>
}

export interface Traffic {
  pairs: Pair[]
  ledger: Ledger
  /** Starts each sender sending one message every `intervalMs`. */
  start(intervalMs: number): void
  /** Stops sending (sends already queued go on). */
  stop(): void
  /** Waits until every send settled and every acked message reached its receiver. */
  settle(timeoutMs: number): Promise<void>
  /** Sends one more message on every pair and waits for it (the clients work after the fault). */
  probe(timeoutMs: number): Promise<void>
  /** Sent messages per pair so far. */
  sentCount(): number
  close(): Promise<void>
}

/** Opens `count` sender/receiver pairs through `url` (`receiverUrl` for receivers, if given). */
export async function openPairs(url: string, count: number, receiverUrl = url): Promise<Traffic> {
  const run = randomBytes(3).toString('hex')
  const ledger: Ledger = {
    queued: new Set(), acked: new Map(), refused: new Map(), clientIds: new Map(), reportedSent: new Map(),
    received: [], errors: [], reconnects: new Map(),
  }
  const clients: ParleyClient[] = []
  const watch = (c: ParleyClient) => {
    clients.push(c)
    ledger.reconnects.set(c, 0)
    c.on('ready', () => ledger.reconnects.set(c, (ledger.reconnects.get(c) ?? 0) + 1))
    c.on('error', (e) => ledger.errors.push(e))
  }
  // Registration (keys, prekeys) dominates setup: connect every client at once.
  const connected = await Promise.all(Array.from({ length: count }, (_, i) => Promise.all([connect(url, `s-${run}-${i}`), connect(receiverUrl, `r-${run}-${i}`)])))
  const pairs: Pair[] = []
  for (let i = 0; i < count; i++) {
    const [sender, receiver] = connected[i]!
    watch(sender)
    watch(receiver)
    const convo = await sender.conversations.open(receiver.userId)
    await receiver.conversations.open(sender.userId)
    sender.on('message', (m) => {
      if (m.status === 'pending' && m.clientMessageId) ledger.clientIds.set(m.text, m.clientMessageId)
      if (m.status === 'sent') ledger.reportedSent.set(m.id, m.text)
    })
    receiver.on('message', (m) => void (m.status === 'received' && ledger.received.push(m)))
    pairs.push({ index: i, sender, receiver, conversationId: convo.id })
  }
  let n = 0
  let timer: NodeJS.Timeout | undefined
  const pending = new Set<Promise<unknown>>()
  const send = (p: Pair, text: string) => {
    ledger.queued.add(text)
    const convo = p.sender.conversations.get(p.conversationId)!
    const done = convo.send({ text }).then(
      (ack) => void ledger.acked.set(text, ack.messageId),
      (e: { code?: string }) => void ledger.refused.set(text, e?.code ?? String(e)),
    )
    pending.add(done)
    void done.finally(() => pending.delete(done))
  }
  const receivedOnce = (text: string) => ledger.received.some((m) => m.text === text)
  return {
    pairs,
    ledger,
    start(intervalMs) {
      timer = setInterval(() => {
        n++
        for (const p of pairs) send(p, `${run}:${p.index}:${n}`)
      }, intervalMs)
    },
    stop() {
      clearInterval(timer)
    },
    async settle(timeoutMs) {
      await waitFor(() => pending.size === 0, timeoutMs, 'every send settled').catch((e: Error) => {
        const state = clients.map((c) => `${c.userId}:${c.connected ? 'ready' : 'down'}/${ledger.reconnects.get(c)}`).join(' ')
        throw new Error(`${e.message}: ${pending.size} unsettled; clients ${state}`)
      })
      await waitFor(() => [...ledger.acked.keys()].every(receivedOnce), timeoutMs, 'every acked message received')
    },
    async probe(timeoutMs) {
      const texts = pairs.map((p) => `${run}:${p.index}:probe-${++n}`)
      pairs.forEach((p, i) => send(p, texts[i]!))
      await waitFor(() => texts.every((t) => ledger.acked.has(t) && receivedOnce(t)), timeoutMs, 'the probe messages after the fault')
    },
    sentCount: () => n,
    async close() {
      clearInterval(timer)
      for (const c of clients) await c.close().catch(() => undefined)
    },
  }
}
