// Preloaded with `node --import` by tests: acts as a machine where @napi-rs/blake-hash has no
// platform package (Windows on ARM, an unusual libc), so requiring its binary fails as there.
import {createRequire} from 'node:module'

const Module = createRequire(import.meta.url)('node:module')
const load = Module._load
Module._load = function (request, parent, isMain) {
  if (/^@napi-rs\/blake-hash-/.test(request) || /[\\/]blake\.[\w-]+\.node$/.test(request) || /^\.\/blake\.[\w-]+\.node$/.test(request)) {
    const error = new Error(`Cannot find module '${request}' (hidden by test/helpers/no-native-blake3.mjs)`)
    error.code = 'MODULE_NOT_FOUND'
    throw error
  }
  return load.call(this, request, parent, isMain)
}
