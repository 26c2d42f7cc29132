// The control socket's wire format (SPEC §7): newline-delimited JSON. A client sends
// requests `{id, command, args}`; serve answers each with `{id, ok, result | error}` and, once
// a client subscribed, streams `{event, data}` lines. Parsed with zod at the edge.
import {z} from 'zod'
import {ERROR_CODES} from '../errors.js'

export const CONTROL_COMMANDS = ['status', 'peers', 'forget', 'library', 'library_peers', 'scan', 'install', 'uninstall', 'recover', 'fetch', 'subscribe'] as const
export type ControlCommand = (typeof CONTROL_COMMANDS)[number]

/** One request line: `args` is validated again by the handler of its command. */
export const ControlRequestSchema = z.object({
  id: z.number().int().nonnegative(),
  command: z.enum(CONTROL_COMMANDS),
  args: z.record(z.string(), z.unknown()).default({}),
})
export type ControlRequest = z.infer<typeof ControlRequestSchema>

export const ControlErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  hint: z.string().optional(),
})
export type ControlError = z.infer<typeof ControlErrorSchema>

export const ControlReplySchema = z.union([
  z.object({id: z.number(), ok: z.literal(true), result: z.unknown()}),
  z.object({id: z.number(), ok: z.literal(false), error: ControlErrorSchema}),
])
export type ControlReply = z.infer<typeof ControlReplySchema>

export const ControlEventSchema = z.object({event: z.string(), data: z.unknown()})
export type ControlEvent = z.infer<typeof ControlEventSchema>

/** The longest line either side accepts: a library of 100,000 games fits well below it. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024 * 1024
