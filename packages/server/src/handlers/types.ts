/**
 * The handler table type: one entry per client → server event, with the state it needs.
 */
import type { ClientAckData, ClientEventName, parseClientFrame } from '@parley/protocol'
import type { Ctx, Session } from '../context.js'

/** What a frame needs before it runs: an authenticated socket, a hello, or a registered device. */
export type Requirement = 'hello' | 'registered' | 'none'

/** A handler: validated frame in, ack data out; throws typed errors. */
export interface Handler<E extends ClientEventName> {
  needs: Requirement
  run(ctx: Ctx, session: Session, frame: ReturnType<typeof parseClientFrame<E>>): Promise<ClientAckData<E>>
}

export type HandlerTable = { [E in ClientEventName]: Handler<E> }
