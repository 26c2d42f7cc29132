// Every request of the control socket with the schema of its args and of its result: the one
// table both ends use. serve parses a request's args with it (a mismatch is a `usage` error)
// and returns a document of its result type; a client parses every result with it.
import {z} from 'zod'
import {LanspreadError} from '../errors.js'
import {describeIssues} from '../fs/read-json.js'
import {FetchResultSchema} from './fetch-documents.js'
import {ForgetResultSchema, LibraryPeersResultSchema, LibraryResultSchema, PeersResultSchema, ScanResultSchema} from './library-documents.js'
import {CancelArgsSchema, CancelResultSchema, type ControlCommand, JobIdSchema} from './messages.js'
import {InstallResultSchema, RecoverResultSchema, UninstallResultSchema} from './operation-documents.js'
import {StatusSchema} from './status.js'

const NoArgs = z.object({})
const IdArgs = z.object({id: z.string().optional()})

const CALLS = {
  status: {args: NoArgs, result: StatusSchema},
  peers: {args: NoArgs, result: PeersResultSchema},
  forget: {args: z.object({peer_id: z.string()}), result: ForgetResultSchema},
  library: {args: IdArgs, result: LibraryResultSchema},
  library_peers: {args: IdArgs, result: LibraryPeersResultSchema},
  scan: {args: z.object({full: z.boolean().optional()}), result: ScanResultSchema},
  install: {
    args: z.object({id: z.string(), update: z.boolean().optional(), clean: z.boolean().optional(), job: JobIdSchema.optional()}),
    result: InstallResultSchema,
  },
  uninstall: {args: z.object({id: z.string(), purge: z.boolean().optional()}), result: UninstallResultSchema},
  recover: {args: z.object({ids: z.array(z.string()).default([]), dry_run: z.boolean().optional()}), result: RecoverResultSchema},
  fetch: {
    args: z.object({
      ids: z.array(z.string()).min(1),
      from: z.string().optional(),
      install: z.boolean().optional(),
      bulk: z.boolean().optional(),
      job: JobIdSchema.optional(),
    }),
    result: FetchResultSchema,
  },
  cancel: {args: CancelArgsSchema, result: CancelResultSchema},
} as const satisfies Record<Exclude<ControlCommand, 'subscribe'>, {args: z.ZodType<object>; result: z.ZodType}>

export type ControlCall = keyof typeof CALLS
/** What a client sends (defaults not yet applied). */
export type CallArgs<C extends ControlCall> = z.input<(typeof CALLS)[C]['args']>
/** What serve's handler of the request gets. */
export type ParsedArgs<C extends ControlCall> = z.output<(typeof CALLS)[C]['args']>
export type CallResult<C extends ControlCall> = z.output<(typeof CALLS)[C]['result']>

/** The same table, typed per request, so that a generic request's schemas give its own types. */
export const CONTROL_CALLS: {readonly [C in ControlCall]: {args: z.ZodType<ParsedArgs<C>, CallArgs<C>>; result: z.ZodType<CallResult<C>>}} = CALLS

/** serve's side: the args of a request, or a `usage` error naming what is wrong. */
export function parseArgs<C extends ControlCall>(command: C, args: unknown): ParsedArgs<C> {
  const parsed = CONTROL_CALLS[command].args.safeParse(args)
  if (parsed.success) return parsed.data
  throw new LanspreadError('usage', `invalid arguments for ${command}: ${describeIssues(parsed.error)}`)
}

/** The client's side: serve's result for a request, or a `protocol` error when it is not that command's document. */
export function parseResult<C extends ControlCall>(command: C, result: unknown): CallResult<C> {
  const parsed = CONTROL_CALLS[command].result.safeParse(result)
  if (parsed.success) return parsed.data
  throw new LanspreadError('protocol', `serve answered ${command} with a document this lanspread does not understand: ${describeIssues(parsed.error)}`, {
    hint: 'run the same lanspread version for serve and the commands',
  })
}

/** serve's work for each request: its parsed args in, a document of its result type out. */
export type CallHandlers = {[C in ControlCall]: (args: ParsedArgs<C>) => Promise<CallResult<C>>}

/** One request for serve's handlers: its args checked first (a `usage` error when they do not parse). */
export async function handleCall<C extends ControlCall>(handlers: CallHandlers, command: C, args: unknown): Promise<CallResult<C>> {
  return handlers[command](parseArgs(command, args))
}
