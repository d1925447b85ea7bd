/**
 * `client.search`: full-text search over this device's local message log, the same API and
 * results in every mode (the log holds plaintext of every message this device saw, whatever
 * mode it travelled in). The query never leaves the device: no frame carries it, and the server
 * is not asked. The index (MiniSearch, docs/decisions/0008-local-search-index.md) lives in
 * memory: built from the key store on the first search, then kept current from the client's
 * own `message` events, so a search never misses a message this device has stored.
 */
import MiniSearch from 'minisearch'
import type { Emitter } from '../emitter.js'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { toMessage } from '../messages/message-log.js'
import { K, type StoredMessage } from '../store-layout.js'
import { isAction } from '../messages/apply-action.js'
import type { ClientEvents, Message } from '../types.js'

/** The longest query accepted, in UTF-16 code units. */
export const MAX_SEARCH_QUERY_LENGTH = 256
/** Results returned when `limit` is not given. */
export const DEFAULT_SEARCH_LIMIT = 20
/** The most results one call returns. */
export const MAX_SEARCH_LIMIT = 200

export interface SearchOptions {
  /** Only this conversation. */
  conversationId?: string
  /** At most this many results, best first (default {@link DEFAULT_SEARCH_LIMIT}). */
  limit?: number
}

export interface SearchResult {
  message: Message
  /** Relevance (higher is better); only comparable within one search. */
  score: number
  /** The indexed terms the query matched (after prefix and typo matching). */
  terms: string[]
}

/** What the index holds per message: its log key, conversation, and the searchable text. */
interface IndexedMessage {
  id: string
  conversationId: string
  text: string
  /** Attachment file names (plaintext on this device in every mode). */
  names: string
}

const ALL_MESSAGES_PREFIX = 'msg/'

function checkOptions(query: unknown, options: SearchOptions | undefined): { query: string; conversationId?: string; limit: number } {
  if (typeof query !== 'string' || query.trim().length === 0) throw new TypeError('"query" expected a non-empty string')
  if (query.length > MAX_SEARCH_QUERY_LENGTH) throw new RangeError(`"query" expected at most ${MAX_SEARCH_QUERY_LENGTH} characters, got ${query.length}`)
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError('"options" expected an object')
  const { conversationId, limit = DEFAULT_SEARCH_LIMIT } = options ?? {}
  if (conversationId !== undefined && (typeof conversationId !== 'string' || conversationId.length === 0)) {
    throw new TypeError('"conversationId" expected a non-empty string')
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw new RangeError(`"limit" expected an integer in 1..${MAX_SEARCH_LIMIT}`)
  return { query, limit, ...(conversationId !== undefined ? { conversationId } : {}) }
}

export class LocalSearch {
  private index: MiniSearch<IndexedMessage> | null = null
  private building: Promise<MiniSearch<IndexedMessage>> | null = null

  constructor(private readonly store: KeyStore, events: Emitter<ClientEvents>) {
    // Only messages already in the log (they have a seq); pending sends are indexed on their ack.
    events.on('message', (m) => {
      if (this.index && m.seq !== undefined && m.status !== 'pending') this.add(this.index, m, K.message(m.conversationId, m.seq))
    })
    // Edited or deleted for everyone (messages/): the index follows what the message shows now.
    events.on('update', (m) => {
      if (!this.index || m.seq === undefined) return
      const key = K.message(m.conversationId, m.seq)
      if (this.index.has(key)) this.index.discard(key)
      this.add(this.index, m, key)
    })
  }

  /** Messages of the local log matching `query` (every word, by prefix, tolerating typos). */
  async search(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    const q = checkOptions(query, options)
    const index = await this.ready()
    const hits = index.search(q.query, {
      prefix: true,
      fuzzy: 0.2,
      combineWith: 'AND',
      ...(q.conversationId !== undefined ? { filter: (r) => r.conversationId === q.conversationId } : {}),
    })
    const out: SearchResult[] = []
    for (const hit of hits) {
      if (out.length === q.limit) break
      const stored = (await this.store.get<JsonValue>(hit.id as string)) as StoredMessage | null
      if (stored) out.push({ message: toMessage(stored), score: hit.score, terms: hit.terms })
    }
    return out
  }

  /** Drops deleted log keys (expired messages) from the index, so their words are gone from memory too. */
  forget(keys: readonly string[]): void {
    const index = this.index
    if (!index) return
    for (const key of keys) if (index.has(key)) index.discard(key)
  }

  private ready(): Promise<MiniSearch<IndexedMessage>> {
    if (this.index && !this.building) return Promise.resolve(this.index)
    if (!this.building) {
      const index = new MiniSearch<IndexedMessage>({ fields: ['text', 'names'], storeFields: ['conversationId'] })
      // Events that arrive during the scan go straight in; the scan skips what they added.
      this.index = index
      this.building = this.scan(index).then(
        () => { this.building = null; return index },
        (e: unknown) => { this.index = null; this.building = null; throw e },
      )
    }
    return this.building
  }

  private async scan(index: MiniSearch<IndexedMessage>): Promise<void> {
    for (const key of await this.store.keys(ALL_MESSAGES_PREFIX)) {
      if (index.has(key)) continue
      const m = (await this.store.get<JsonValue>(key)) as StoredMessage | null
      // Edits, tombstones and reactions are found through their targets, by what those show.
      if (m && !isAction(m)) this.add(index, toMessage(m), key)
    }
  }

  private add(index: MiniSearch<IndexedMessage>, m: Pick<StoredMessage, 'conversationId' | 'text'> & { attachments: { name: string }[] }, key: string): void {
    if (index.has(key)) return
    index.add({ id: key, conversationId: m.conversationId, text: m.text, names: m.attachments.map((a) => a.name).join(' ') })
  }
}
