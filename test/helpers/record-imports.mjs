// Preloaded with `node --import` by tests: records every module URL the process resolves
// (ESM through a resolve hook, CommonJS through Module._load) into $RECORD_IMPORTS_FILE.
import {appendFileSync} from 'node:fs'
import {createRequire, register} from 'node:module'

const file = process.env.RECORD_IMPORTS_FILE
register(
  `data:text/javascript,${encodeURIComponent(`
import {appendFileSync} from 'node:fs'
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context)
  appendFileSync(${JSON.stringify(file)}, resolved.url + '\\n')
  return resolved
}`)}`,
)
const Module = createRequire(import.meta.url)('node:module')
const load = Module._load
Module._load = function (request, parent, isMain) {
  try {
    appendFileSync(file, `${Module._resolveFilename(request, parent, isMain)}\n`)
  } catch {
    // A module that cannot be resolved is not recorded; loading it reports the error.
  }
  return load.apply(this, arguments)
}
