import {execa} from 'execa'
import {randomBytes} from 'node:crypto'
import {createRequire} from 'node:module'
import path from 'node:path'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {
  type Blake3Backend,
  type ModuleLoader,
  blake3Backend,
  blake3Hex,
  createBlake3,
  loadNativeBackend,
  loadWasmBackend,
  resolveBlake3Backend,
} from '../../src/library/blake3.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {missingOutsideCi} from '../helpers/requirements.js'

// The first 32 bytes of the unkeyed `hash` of BLAKE3's published test vectors
// (BLAKE3-team/BLAKE3 test_vectors/test_vectors.json): input byte i is i % 251.
const VECTORS: [number, string][] = [
  [0, 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262'],
  [1, '2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213'],
  [1023, '10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11'],
  [1024, '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7'],
  [1025, 'd00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444'],
  [2048, 'e776b6028c7cd22a4d0ba182a8bf62205d2ef576467e838ed6f2529b85fba24a'],
  [2049, '5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030'],
  [3072, 'b98cb0ff3623be03326b373de6b9095218513e64f1ee2edd2525c7ad1e5cffd2'],
  [3073, '7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3'],
  [4096, '015094013f57a5277b59d8475c0501042c0b642e531b0a1c8f58d2163229e969'],
  [4097, '9b4052b38f1c5fc8b1f9ff7ac7b27cd242487b3d890d15c96a1c25b8aa0fb995'],
  [8192, 'aae792484c8efe4f19e2ca7d371d8c467ffb10748d8a5a1ae579948f718a2a63'],
  [8193, 'bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b'],
  [16384, 'f875d6646de28985646f34ee13be9a576fd515f76b5b0a26bb324735041ddde4'],
  [31744, '62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47'],
  [102400, 'bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085'],
]

const vectorInput = (length: number): Buffer => Buffer.from(Array.from({length}, (_, i) => i % 251))

function nativeOrNull(): Blake3Backend | null {
  try {
    return loadNativeBackend()
  } catch {
    return null
  }
}

const native = nativeOrNull()
const backends: Blake3Backend[] = [loadWasmBackend(), ...(native ? [native] : [])]

/** Feeds `data` in pieces of odd, changing sizes (1, 7, 1023, 1025, 65537, …). */
function hashInPieces(backend: Blake3Backend, data: Buffer): Buffer {
  const hasher = backend.create()
  const sizes = [1, 7, 1023, 1025, 4093, 65_537, 1_048_573]
  let offset = 0
  for (let i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length]!
    hasher.update(data.subarray(offset, offset + size))
    offset += size
  }
  return hasher.digest()
}

afterEach(() => {
  vi.unstubAllEnvs()
  vi.restoreAllMocks()
})

describe('BLAKE3 backends', () => {
  it('the native backend loads on linux-x64 (the platform lanspread ships a native package for)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(native?.name).toBe('native')
  })

  describe.each(backends.map((backend) => [backend.name, backend] as const))('%s', (_name, backend) => {
    it.each(VECTORS)('matches the published test vector for %i bytes, in one call and in pieces', (length, expected) => {
      const input = vectorInput(length)
      expect(backend.hash(input).toString('hex')).toBe(expected)
      expect(hashInPieces(backend, input).toString('hex')).toBe(expected)
      const whole = backend.create()
      whole.update(input)
      expect(whole.digest().toString('hex')).toBe(expected)
    })
  })

  it.skipIf(missingOutsideCi(native === null))('native and wasm give identical digests for random data fed in odd-sized pieces', () => {
    const wasm = loadWasmBackend()
    for (const length of [0, 1, 1024, 1025, 64 * 1024 + 3, 3 * 1024 * 1024 + 17]) {
      const data = randomBytes(length)
      const expected = wasm.hash(data).toString('hex')
      expect(native!.hash(data).toString('hex')).toBe(expected)
      expect(hashInPieces(native!, data).toString('hex')).toBe(expected)
      expect(hashInPieces(wasm, data).toString('hex')).toBe(expected)
    }
  })
})

describe('choosing the backend', () => {
  const realLoad: ModuleLoader = createRequire(import.meta.url)
  const missingNative: ModuleLoader = (id) => {
    if (id === '@napi-rs/blake-hash') throw new Error('Cannot find native binding')
    return realLoad(id)
  }

  it('falls back to wasm silently when the native package does not load', () => {
    const log = vi.spyOn(console, 'log')
    const warn = vi.spyOn(console, 'warn')
    const error = vi.spyOn(console, 'error')
    const backend = resolveBlake3Backend('auto', missingNative)
    expect(backend.name).toBe('wasm')
    expect(backend.hash(vectorInput(1025)).toString('hex')).toBe(VECTORS[4]![1])
    expect([log, warn, error].map((spy) => spy.mock.calls.length)).toEqual([0, 0, 0])
  })

  it('LANSPREAD_BLAKE3=native fails with a usage error naming the package when it does not load', () => {
    expect(() => resolveBlake3Backend('native', missingNative)).toThrow(
      expect.objectContaining({code: 'usage', message: expect.stringContaining('@napi-rs/blake-hash'), cause: expect.any(Error)}),
    )
    expect(resolveBlake3Backend('wasm', missingNative).name).toBe('wasm')
  })

  it('reads LANSPREAD_BLAKE3 on each call: unset picks native where it loads, wasm forces the fallback', () => {
    vi.stubEnv('LANSPREAD_BLAKE3', '')
    expect(blake3Backend()).toBe(native ? 'native' : 'wasm')
    vi.stubEnv('LANSPREAD_BLAKE3', 'wasm')
    expect(blake3Backend()).toBe('wasm')
    expect(blake3Hex('abc')).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
    const hasher = createBlake3()
    hasher.update(Buffer.from('ab'))
    hasher.update(Buffer.from('c'))
    expect(hasher.digest().toString('hex')).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
    if (native) {
      vi.stubEnv('LANSPREAD_BLAKE3', 'native')
      expect(blake3Backend()).toBe('native')
      expect(blake3Hex('abc')).toBe('6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85')
    }
  })

  it('in a real process whose native binding cannot load, hashes with wasm and prints nothing; native mode fails', async () => {
    const module = path.join(REPO_ROOT, 'src/library/blake3.ts')
    const script = `import('${module}').then((b) => { process.stdout.write(b.blake3Backend() + ' ' + b.blake3Hex('abc')) })`
    // The preload makes every platform package and binary of @napi-rs/blake-hash fail to load.
    const hide = path.join(REPO_ROOT, 'test/helpers/no-native-blake3.mjs')
    const run = (mode: string) =>
      execa('node', ['--import', hide, '--import', 'tsx', '-e', script], {env: {LANSPREAD_BLAKE3: mode}, reject: false, timeout: 30_000})
    const auto = await run('')
    expect({stdout: auto.stdout, stderr: auto.stderr, exitCode: auto.exitCode}).toEqual({
      stdout: 'wasm 6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85',
      stderr: '',
      exitCode: 0,
    })
    const demanded = await run('native')
    expect(demanded.exitCode).not.toBe(0)
    expect(demanded.stderr).toContain('LANSPREAD_BLAKE3=native, but the native BLAKE3 (@napi-rs/blake-hash) does not load')
  })

  it('refuses an unknown LANSPREAD_BLAKE3 value', () => {
    vi.stubEnv('LANSPREAD_BLAKE3', 'fast')
    expect(() => blake3Backend()).toThrow(expect.objectContaining({code: 'usage', message: expect.stringContaining('LANSPREAD_BLAKE3=fast')}))
  })
})
