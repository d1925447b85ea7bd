import { describe, expectTypeOf, it } from 'vitest'
import type * as v from 'valibot'
import type {
  ACK_SCHEMAS, CLIENT_FRAME_SCHEMAS, ClientAckData, ClientEventName, ClientToServerEvents, SERVER_FRAME_SCHEMAS,
  ServerEventName, ServerFrame,
} from '../src/index.js'

// Pins the typed event maps to the runtime schemas, so the two cannot drift.
describe('event maps match the schemas', () => {
  it('client event names', () => {
    expectTypeOf<ClientEventName>().toEqualTypeOf<keyof typeof CLIENT_FRAME_SCHEMAS>()
    expectTypeOf<ClientEventName>().toEqualTypeOf<keyof typeof ACK_SCHEMAS>()
  })
  it('server event names', () => {
    expectTypeOf<ServerEventName>().toEqualTypeOf<keyof typeof SERVER_FRAME_SCHEMAS>()
  })
  it('payload and ack types', () => {
    expectTypeOf<Parameters<ClientToServerEvents['message.send']>[0]>().toEqualTypeOf<v.InferInput<(typeof CLIENT_FRAME_SCHEMAS)['message.send']>>()
    expectTypeOf<ClientAckData<'message.send'>>().toEqualTypeOf<v.InferOutput<(typeof ACK_SCHEMAS)['message.send']>>()
    expectTypeOf<ServerFrame<'message'>>().toEqualTypeOf<v.InferOutput<(typeof SERVER_FRAME_SCHEMAS)['message']>>()
  })
})
