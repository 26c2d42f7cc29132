// The event stream of the control socket: after `subscribe`, serve sends `{event, data}` lines,
// the events `serve --json` prints (peer/runtime-events.ts: BROADCAST_EVENTS) plus the progress
// of a download. Each name has its data's schema; the client parses every line with it.
import {z} from 'zod'
import {DownloadProgressSchema} from './fetch-documents.js'
import {PeerInfoSchema} from './library-documents.js'

const line = <E extends string, S extends z.ZodType>(event: E, data: S) => z.object({event: z.literal(event), data})

const OperationSchema = z.object({id: z.string(), kind: z.string()})

/** One event line; the names and data are checked against the runtime's events in peer/control-handlers.ts. */
export const ControlEventLineSchema = z.discriminatedUnion('event', [
  line('peer_found', PeerInfoSchema),
  line('peer_lost', PeerInfoSchema.extend({reason: z.string()})),
  line('peer_updated', PeerInfoSchema),
  line('peer_refused', z.object({peer_id: z.string(), address: z.string(), reason: z.string()})),
  line('peer_library_changed', z.object({peer_id: z.string(), outcome: z.enum(['delta', 'snapshot']), library_rev: z.number(), game_count: z.number()})),
  line(
    'library_changed',
    z.object({library_rev: z.number(), library_epoch: z.string(), added: z.array(z.string()), updated: z.array(z.string()), removed: z.array(z.string())}),
  ),
  line('download_progress', DownloadProgressSchema),
  line('operation_started', OperationSchema),
  line('operation_finished', OperationSchema),
  line('operation_failed', OperationSchema.extend({code: z.string(), message: z.string()})),
])
export type ControlEventLine = z.infer<typeof ControlEventLineSchema>
export type ControlEventName = ControlEventLine['event']

/** The data of each event, by name. */
export type ControlEventData = {[E in ControlEventName]: Extract<ControlEventLine, {event: E}>['data']}

export const CONTROL_EVENT_NAMES: ReadonlySet<string> = new Set(ControlEventLineSchema.options.map((option) => option.shape.event.value))
