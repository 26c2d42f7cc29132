// BLAKE3 behind one small interface: native `@napi-rs/blake-hash` where its platform package
// loads, `blake3-wasm` 2.1.5 elsewhere (SPEC §1). LANSPREAD_BLAKE3=wasm|native picks one.
import {createRequire} from 'node:module'
import {LanspreadError} from '../errors.js'

export type Blake3BackendName = 'native' | 'wasm'

/** A streaming hash: feed bytes in any pieces, then take the 32-byte digest once. */
export interface Blake3Hasher {
  update(data: Uint8Array): void
  digest(): Buffer
}

export interface Blake3Backend {
  readonly name: Blake3BackendName
  /** The 32-byte BLAKE3 of `data` in one call (no hasher object). */
  hash(data: Uint8Array): Buffer
  create(): Blake3Hasher
}

/** Loads a CommonJS package by name; injected by tests to simulate a missing platform package. */
export type ModuleLoader = (id: string) => unknown

interface NativeModule {
  blake3(input: Uint8Array): Buffer
  Blake3Hasher: new () => {update(input: Uint8Array): unknown; digestBuffer(): Buffer}
}

interface WasmModule {
  hash(input: Uint8Array): Buffer
  createHash(): {update(input: Uint8Array): unknown; digest(): Buffer}
}

const MODES = ['auto', 'native', 'wasm'] as const
type Blake3Mode = (typeof MODES)[number]

// Both packages are CommonJS and load their binary synchronously, so they are required on
// first use: `--help` pays for neither, and a missing native package costs one failed require.
const requireModule: ModuleLoader = createRequire(import.meta.url)
const chosen = new Map<Blake3Mode, Blake3Backend>()

/** Throws (the loader's error) when `@napi-rs/blake-hash` or its platform package does not load. */
export function loadNativeBackend(load: ModuleLoader = requireModule): Blake3Backend {
  const native = load('@napi-rs/blake-hash') as Partial<NativeModule>
  if (typeof native.blake3 !== 'function' || typeof native.Blake3Hasher !== 'function') {
    throw new TypeError('@napi-rs/blake-hash has no blake3 / Blake3Hasher export')
  }
  const {blake3, Blake3Hasher} = native as NativeModule
  return {
    name: 'native',
    hash: (data) => blake3(data),
    create() {
      const hasher = new Blake3Hasher()
      return {update: (data) => void hasher.update(data), digest: () => hasher.digestBuffer()}
    },
  }
}

export function loadWasmBackend(load: ModuleLoader = requireModule): Blake3Backend {
  const wasm = load('blake3-wasm') as WasmModule
  return {
    name: 'wasm',
    hash: (data) => wasm.hash(data),
    create() {
      // digest() frees the hasher's wasm memory; a hasher dropped before digest() leaks ~2 KB.
      const hasher = wasm.createHash()
      return {update: (data) => void hasher.update(data), digest: () => hasher.digest()}
    },
  }
}

/** The backend a mode stands for: `auto` is native when it loads, wasm otherwise. */
export function resolveBlake3Backend(mode: Blake3Mode, load: ModuleLoader = requireModule): Blake3Backend {
  if (mode === 'wasm') return loadWasmBackend(load)
  try {
    return loadNativeBackend(load)
  } catch (error) {
    if (mode === 'auto') return loadWasmBackend(load)
    throw new LanspreadError(
      'usage',
      `LANSPREAD_BLAKE3=native, but the native BLAKE3 (@napi-rs/blake-hash) does not load on ${process.platform}-${process.arch}`,
      {
        hint: 'unset LANSPREAD_BLAKE3 (or set it to wasm) to use the portable blake3-wasm, or reinstall with `npm ci` so the platform package is present',
        cause: error,
      },
    )
  }
}

function modeFromEnv(env: NodeJS.ProcessEnv): Blake3Mode {
  const value = env.LANSPREAD_BLAKE3?.trim().toLowerCase()
  if (value === undefined || value === '') return 'auto'
  if ((MODES as readonly string[]).includes(value)) return value as Blake3Mode
  throw new LanspreadError('usage', `LANSPREAD_BLAKE3=${env.LANSPREAD_BLAKE3} is not a BLAKE3 backend`, {
    hint: 'set LANSPREAD_BLAKE3 to native or wasm, or unset it to pick native where it loads',
  })
}

/** The backend in use now. LANSPREAD_BLAKE3 is read on every call, so tests can switch it. */
export function currentBlake3(): Blake3Backend {
  const mode = modeFromEnv(process.env)
  let backend = chosen.get(mode)
  if (backend === undefined) {
    backend = resolveBlake3Backend(mode)
    chosen.set(mode, backend)
  }
  return backend
}

export function blake3Backend(): Blake3BackendName {
  return currentBlake3().name
}

export function createBlake3(): Blake3Hasher {
  return currentBlake3().create()
}

/** The raw 32-byte BLAKE3 of `data`. */
export function blake3(data: Uint8Array): Buffer {
  return currentBlake3().hash(data)
}

export function blake3Hex(data: string | Uint8Array): string {
  return blake3(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('hex')
}
