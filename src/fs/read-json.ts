// Reads a JSON file and validates it with a zod schema, telling "missing" apart from
// "broken" so callers can choose between creating, rebuilding and refusing. A quick format
// checks by hand first and loads its zod schema only when the check is unsure, so a command
// that reads only valid small files never imports zod (~60 ms of CPU in a fresh process).
import fs from 'node:fs/promises'
import type {z} from 'zod'
import {errnoCode, ioError} from '../errors.js'

export type JsonFileResult<T> = {status: 'ok'; value: T} | {status: 'missing'} | {status: 'invalid'; reason: string; raw: string}

/**
 * A format whose valid files a hand-written check recognises. `quick` returns what the
 * schema's parse would (same value, unknown keys stripped or kept alike) or undefined when
 * it cannot vouch for the value; then the schema decides, so verdicts and messages are zod's.
 */
export interface QuickFormat<T> {
  quick(json: unknown): T | undefined
  schema(): Promise<z.ZodType<T>>
}

export async function readJsonFile<S extends z.ZodType>(file: string, schema: S): Promise<JsonFileResult<z.infer<S>>> {
  const read = await readRawJson(file)
  if (read.status !== 'parsed') return read
  return validate(schema, read.json, read.raw)
}

/** readJsonFile for a QuickFormat: zod is imported only for a file the quick check doubts. */
export async function readQuickJsonFile<T>(file: string, format: QuickFormat<T>): Promise<JsonFileResult<T>> {
  const read = await readRawJson(file)
  if (read.status !== 'parsed') return read
  const value = format.quick(read.json)
  if (value !== undefined) return {status: 'ok', value}
  return validate(await format.schema(), read.json, read.raw)
}

type RawRead = {status: 'parsed'; json: unknown; raw: string} | Exclude<JsonFileResult<never>, {status: 'ok'}>

async function readRawJson(file: string): Promise<RawRead> {
  let raw: string
  try {
    raw = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {status: 'missing'}
    throw ioError('read', file, error)
  }
  try {
    return {status: 'parsed', json: JSON.parse(raw), raw}
  } catch (error) {
    return {status: 'invalid', reason: `not valid JSON (${(error as Error).message})`, raw}
  }
}

function validate<S extends z.ZodType>(schema: S, json: unknown, raw: string): JsonFileResult<z.infer<S>> {
  const parsed = schema.safeParse(json)
  if (!parsed.success) return {status: 'invalid', reason: describeIssues(parsed.error), raw}
  return {status: 'ok', value: parsed.data}
}

/** One line naming the first few schema problems, e.g. `[0].id: Invalid string`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      return where ? `${where.replace(/^\./, '')}: ${issue.message}` : issue.message
    })
    .join('; ')
}
