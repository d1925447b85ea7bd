/**
 * Parley's socket.io parser: socket.io-parser's own encoder and decoder, with one check before
 * the decoder's `JSON.parse` — a packet holding more JSON nodes than a valid frame of its event
 * can hold (`node-budget.ts`) is not parsed. Pass it as socket.io's documented `parser` option
 * (`createParleyServer({ httpServer })` does; an integrator's own `Server` should too).
 *
 * An over-budget event packet still gets its typed answer: the decoder hands socket.io the
 * packet's header (namespace, ack id, event name) with a {@link RefusedFrame} in place of the
 * frame, and the server acks `payload_too_large` as it does for any frame over its limits. A
 * client cannot forge that value (JSON never parses to a class instance). Packets that are not
 * events (a connect's auth object, an ack) and binary events over budget cannot be answered
 * that way; the decoder throws, and socket.io closes that connection as it does for any
 * malformed packet. Parley's client never sends binary packets.
 *
 * Packet layout (socket.io protocol v5):
 * `<type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]`.
 */
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser'
import { PayloadTooLargeError } from '@parley/protocol'
import { countJsonNodes } from './json-nodes.js'
import { nodeBudgetOf } from './node-budget.js'

/**
 * Budget of a packet that is not an event (a connect's auth object, a client's ack): Parley
 * reads a token from the one and sends nothing the other answers with data.
 */
export const OTHER_PACKET_NODE_BUDGET = 1_024

/** Longest event name the decoder reads from a packet it refuses (longer: an unknown event). */
const MAX_EVENT_NAME_CHARS = 64

/** What the server receives instead of a frame the decoder refused to parse. */
export class RefusedFrame {
  /** @param nodes nodes counted before the count stopped (over `budget`). */
  constructor(readonly nodes: number, readonly budget: number) {}
}

/** The typed error a refused frame is answered with (`payload_too_large`). */
export function refusedFrameError(event: string, refused: RefusedFrame): PayloadTooLargeError {
  const issue = { path: '(root)', message: `more than ${refused.budget} JSON nodes` }
  return new PayloadTooLargeError(`invalid "${event}" frame: ${issue.message}`, { event, issues: [issue] })
}

/** Where a packet's JSON starts, and its header, read as socket.io-parser reads it. */
function readHeader(packet: string): { type: number; nsp: string; id?: number; json: number } {
  const type = packet.charCodeAt(0) - 0x30
  let i = 1
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    const dash = packet.indexOf('-', i)
    i = dash < 0 ? packet.length : dash + 1
  }
  let nsp = '/'
  if (packet[i] === '/') {
    const comma = packet.indexOf(',', i)
    const end = comma < 0 ? packet.length : comma
    nsp = packet.slice(i, end)
    i = comma < 0 ? end : end + 1
  }
  const idStart = i
  while (i < packet.length && packet.charCodeAt(i) >= 0x30 && packet.charCodeAt(i) <= 0x39) i++
  return { type, nsp, ...(i > idStart ? { id: Number(packet.slice(idStart, i)) } : {}), json: i }
}

/** The event name at the start of an event packet's JSON (`["name",…`), if it is a short plain string. */
function eventName(packet: string, json: number): string | undefined {
  if (packet.charCodeAt(json) !== 0x5b || packet.charCodeAt(json + 1) !== 0x22) return undefined
  const close = packet.indexOf('"', json + 2)
  if (close < 0 || close - json - 2 > MAX_EVENT_NAME_CHARS) return undefined
  const name = packet.slice(json + 2, close)
  return name.includes('\\') ? undefined : name
}

/** socket.io-parser's decoder, refusing packets over their node budget before parsing them. */
export class ParleyFrameDecoder extends Decoder {
  override add(chunk: unknown): void {
    if (typeof chunk === 'string') {
      const refused = this.refuse(chunk)
      if (refused) return void this.emitReserved('decoded', refused)
    }
    super.add(chunk)
  }

  /** The packet socket.io gets instead of `packet` when it is over budget; undefined when within. */
  private refuse(packet: string): Packet | undefined {
    const header = readHeader(packet)
    const isEvent = header.type === PacketType.EVENT || header.type === PacketType.BINARY_EVENT
    const event = isEvent ? eventName(packet, header.json) : undefined
    const budget = isEvent ? nodeBudgetOf(event ?? '') : OTHER_PACKET_NODE_BUDGET
    const nodes = countJsonNodes(packet, budget, header.json)
    if (nodes <= budget) return undefined
    if (header.type !== PacketType.EVENT || event === undefined) {
      throw new Error(`socket.io packet over its node budget (${budget})`)
    }
    return { type: PacketType.EVENT, nsp: header.nsp, ...(header.id !== undefined ? { id: header.id } : {}), data: [event, new RefusedFrame(nodes, budget)] }
  }
}

/**
 * The `parser` option for socket.io's `Server`.
 * @example new Server(httpServer, { maxHttpBufferSize: MAX_FRAME_BYTES, parser: parleyParser })
 */
export const parleyParser = { Encoder, Decoder: ParleyFrameDecoder }
