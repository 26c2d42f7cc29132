// Reads a JSON file and validates it with a zod schema, telling "missing" apart from
// "broken" so callers can choose between creating, rebuilding and refusing.
import fs from 'node:fs/promises'
import type {z} from 'zod'
import {errnoCode, ioError} from '../errors.js'

export type JsonFileResult<T> =
  | {status: 'ok'; value: T}
  | {status: 'missing'}
  | {status: 'invalid'; reason: string; raw: string}

export async function readJsonFile<S extends z.ZodType>(file: string, schema: S): Promise<JsonFileResult<z.infer<S>>> {
  let raw: string
  try {
    raw = await fs.readFile(file, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return {status: 'missing'}
    throw ioError('read', file, error)
  }
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch (error) {
    return {status: 'invalid', reason: `not valid JSON (${(error as Error).message})`, raw}
  }
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
