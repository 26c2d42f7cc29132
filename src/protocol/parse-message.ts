// Turns a decoded JSON value from a peer into a typed Message, or a protocol violation that
// names the message type and the field, so a log line says what the peer got wrong.
import type {z} from 'zod'
import {MESSAGE_TYPES, type Message, MessageSchema} from './messages.js'
import {protocolViolation, quoteUntrusted} from './violation.js'

export function parseMessage(value: unknown, peer?: string): Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolViolation(peer, `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`)
  }
  const type: unknown = (value as {type?: unknown}).type
  if (typeof type !== 'string') throw protocolViolation(peer, 'the field "type" is missing or not a string')
  if (!MESSAGE_TYPES.has(type)) throw protocolViolation(peer, `unknown message type ${quoteUntrusted(type)}`)
  const result = MessageSchema.safeParse(value)
  if (result.success) return result.data
  throw protocolViolation(peer, describeIssues(type, result.error.issues))
}

/** "Type.field: problem", from the first of zod's issues. */
export function describeIssues(type: string, issues: readonly z.core.$ZodIssue[]): string {
  const [first] = issues
  if (first === undefined) return `${type} is not valid`
  const field = formatPath(first.path)
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : ''
  return `${type}${field === '' ? '' : `.${field}`}: ${first.message}${more}`
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('')
}
