/**
 * The client's safety controls in one place, so `ParleyClient` only wires them: the synced
 * state, `client.users`, `client.requests`, mute, and the three pushed frames.
 */
import type { ParleyError } from '@parley/protocol'
import { isTransient } from '../util.js'
import type { Connection } from '../connection.js'
import type { Conversation } from '../conversations/conversation.js'
import type { ClientCore } from '../core.js'
import { createRequests, type Requests } from './requests.js'
import { SafetyState } from './state.js'
import { createUsers, type Users } from './users.js'

/** What the controls need from the conversation registry. */
export interface SafetyRegistry {
  get(id: string): Conversation | undefined
  ensure(id: string): Promise<Conversation>
}

export class SafetyControls {
  readonly state: SafetyState
  readonly users: Users
  readonly requests: Requests

  constructor(private readonly core: ClientCore, registry: SafetyRegistry) {
    this.state = new SafetyState(core, (id) => registry.get(id))
    this.users = createUsers(core, this.state)
    this.requests = createRequests(core, this.state, this.users, (id) => registry.ensure(id))
  }

  /** Handles the frames the server pushes when another device of this user changed something. */
  wire(conn: Connection): void {
    conn.handle('block.changed', (f) => this.state.applyBlock(f.userId, f.blocked, f.ts))
    conn.handle('mute.changed', (f) => this.state.applyMute(f.conversationId, f.muted, f.ts))
    conn.handle('request.changed', (f) => this.state.applyRequest(f.conversationId, f.userId, f.state, f.ts))
  }

  /**
   * Reads the state from the server (on every connect, before the inbox catches up, so
   * deliveries are marked with what is current). Best effort: a failure is surfaced on `'error'`
   * (a dropped connection is not) and the connect goes on.
   */
  async sync(): Promise<void> {
    try {
      await this.state.sync()
    } catch (e) {
      if (!isTransient(e)) this.core.reportError({ error: e as ParleyError })
    }
  }

  /** `conversation.mute()` / `unmute()`: on every device of this user. */
  async setMuted(c: Conversation, muted: boolean): Promise<void> {
    await this.core.whenReady()
    await this.core.conn.request('mute.set', { conversationId: c.id, muted })
    this.state.applyMute(c.id, muted, this.core.now())
  }
}
