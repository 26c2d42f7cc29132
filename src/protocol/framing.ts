// The frame of SPEC §4.2: a 4-byte big-endian length, then that many bytes of UTF-8 JSON, at
// most 8 MiB. Encoding validates outgoing messages too, so we never send what a peer refuses.
import {LanspreadError} from '../errors.js'
import {checkParseBudget} from './frame-limits.js'
import {FRAME_PREFIX_BYTES, MAX_FRAME_BYTES} from './limits.js'
import {type Message, MessageSchema} from './messages.js'
import {describeIssues, parseMessage} from './parse-message.js'
import {protocolViolation} from './violation.js'

/** A message as one frame: length prefix and JSON body. */
export function encodeFrame(message: Message): Buffer {
  const checked = MessageSchema.safeParse(message)
  if (!checked.success) {
    throw new LanspreadError('protocol', `cannot send ${describeIssues(message.type, checked.error.issues)}`, {
      hint: 'this is a bug in lanspread; run again with LANSPREAD_DEBUG=1 and report it',
    })
  }
  const json = JSON.stringify(checked.data)
  const length = Buffer.byteLength(json, 'utf8')
  if (length > MAX_FRAME_BYTES) {
    throw new LanspreadError('protocol', `cannot send ${message.type}: its frame is ${length} bytes, over the limit of ${MAX_FRAME_BYTES} (8 MiB)`, {
      hint: 'the message is too large for the protocol; a library or manifest this large is not supported yet',
    })
  }
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + length)
  frame.writeUInt32BE(length, 0)
  frame.write(json, FRAME_PREFIX_BYTES, 'utf8')
  return frame
}

/** The body length a prefix announces, refused before anything is allocated for it. */
export function frameLength(prefix: Uint8Array, peer?: string): number {
  const length = Buffer.from(prefix.buffer, prefix.byteOffset, FRAME_PREFIX_BYTES).readUInt32BE(0)
  if (length > MAX_FRAME_BYTES) throw protocolViolation(peer, `a frame of ${length} bytes is over the limit of ${MAX_FRAME_BYTES} (8 MiB)`)
  if (length === 0) throw protocolViolation(peer, 'an empty frame')
  return length
}

const utf8 = new TextDecoder('utf-8', {fatal: true})

/** A frame body as a validated message; one built to be costly to parse is refused unparsed. */
export function decodeFrameBody(body: Uint8Array, peer?: string): Message {
  checkParseBudget(body, peer)
  let text: string
  try {
    text = utf8.decode(body)
  } catch (error) {
    throw protocolViolation(peer, 'the frame is not valid UTF-8', error)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw protocolViolation(peer, 'the frame is not JSON', error)
  }
  return parseMessage(value, peer)
}
