import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  CLIENT_FRAME_SCHEMAS, InvalidFrameError, SERVER_FRAME_SCHEMAS, parseClientFrame, parseServerFrame,
  type ClientEventName, type ServerEventName,
} from '../src/index.js'
import { CLIENT_EXAMPLES } from './fixtures.js'

/** Anything a hostile peer can send through socket.io's JSON+binary encoding. */
const hostile = fc.oneof(
  fc.jsonValue(),
  fc.anything({ withBigInt: true, withTypedArray: true, withMap: true, withSet: true, withDate: true, withNullPrototype: true }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'), fc.jsonValue()),
)

function onlyInvalidFrameErrors(parse: () => unknown) {
  try {
    parse()
  } catch (e) {
    if (!InvalidFrameError.isInstance(e)) throw new Error(`threw a non-InvalidFrameError: ${String(e)}`)
  }
}

describe('arbitrary input never throws anything but InvalidFrameError', () => {
  for (const event of Object.keys(CLIENT_FRAME_SCHEMAS) as ClientEventName[]) {
    it(`client frame ${event}`, () => {
      fc.assert(fc.property(hostile, (input) => onlyInvalidFrameErrors(() => parseClientFrame(event, input))), { numRuns: 300 })
    })
  }
  for (const event of Object.keys(SERVER_FRAME_SCHEMAS) as ServerEventName[]) {
    it(`server frame ${event}`, () => {
      fc.assert(fc.property(hostile, (input) => onlyInvalidFrameErrors(() => parseServerFrame(event, input))), { numRuns: 150 })
    })
  }
  it('mutating one field of a valid frame with arbitrary JSON never throws anything else', () => {
    const events = Object.keys(CLIENT_EXAMPLES) as ClientEventName[]
    fc.assert(
      fc.property(fc.constantFrom(...events), fc.string({ maxLength: 20 }), fc.jsonValue(), (event, key, value) => {
        const valid = CLIENT_EXAMPLES[event] as Record<string, unknown>
        const keys = Object.keys(valid)
        const target = keys.length ? keys[key.length % keys.length]! : key
        onlyInvalidFrameErrors(() => parseClientFrame(event, { ...valid, [target]: value }))
      }),
      { numRuns: 1000 },
    )
  })
  it('a throwing getter is reported as InvalidFrameError', () => {
    const evil = { get deviceId(): string { throw new Error('boom') }, versions: [2] }
    expect(() => parseClientFrame('hello', evil)).toThrow(InvalidFrameError)
  })
})
