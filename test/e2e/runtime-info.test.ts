// Which BLAKE3 backend runs, through serve and on disk: where the native package does not load
// (simulated by a preload that hides it), the wasm fallback runs and status and serve say so.
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT, json, runCli} from '../helpers/cli.js'
import {startServe} from '../helpers/serve-process.js'
import {makeTempLibrary} from '../helpers/temp-library.js'

/** A process where @napi-rs/blake-hash has no platform package (Windows on ARM, an odd libc). */
const NO_NATIVE = {NODE_OPTIONS: `--import=${path.join(REPO_ROOT, 'test/helpers/no-native-blake3.mjs')}`, LANSPREAD_BLAKE3: ''}
const here = {platform: process.platform, arch: process.arch, node: process.versions.node}

type Runtime = {platform: string; arch: string; node: string; blake3: string}

describe('the runtime in status and in serve’s log', () => {
  it('without serve: status still exits 14, and says this machine’s runtime (beside the error under --json)', async () => {
    const lib = await makeTempLibrary([{id: 'alpha', name: 'alpha'}])
    const down = await runCli(['status', '--games', lib.gamesDir, '--json'], {env: NO_NATIVE})
    expect(down.exitCode).toBe(14)
    expect(json<{error: {code: string}; runtime: Runtime}>(down)).toMatchObject({error: {code: 'not_running'}, runtime: {...here, blake3: 'wasm'}})
    const human = await runCli(['status', '--games', lib.gamesDir], {env: {LANSPREAD_BLAKE3: 'wasm'}})
    expect(human.exitCode).toBe(14)
    expect(String(human.stderr)).toContain(`runtime: ${here.platform} ${here.arch}, Node ${here.node}, BLAKE3 wasm\nError: lanspread serve is not running`)
  })

  it('through serve: the wasm fallback where native BLAKE3 does not load, in status and in serve’s start log', async () => {
    const lib = await makeTempLibrary([{id: 'alpha', name: 'alpha'}])
    await lib.writeGame('alpha', {'version.ini': '1.0\n', 'data.eti': 'bytes'})
    const serve = await startServe(lib.gamesDir, [], NO_NATIVE)
    // The command's own process has native BLAKE3: what it prints is serve's runtime.
    const up = await runCli(['status', '--games', lib.gamesDir, '--json'], {env: {LANSPREAD_BLAKE3: ''}})
    expect(up.exitCode).toBe(0)
    expect(json<{runtime: Runtime}>(up).runtime).toEqual({...here, blake3: 'wasm'})
    const human = await runCli(['status', '--games', lib.gamesDir])
    expect(String(human.stdout)).toContain(`runtime: ${here.platform} ${here.arch}, Node ${here.node}, BLAKE3 wasm`)
    // Written before serve starts listening; read after two commands, so its pipe has delivered it.
    expect(serve.stderr()).toContain(`runtime: ${here.platform} ${here.arch}, Node ${here.node}, BLAKE3 wasm`)
  })

  it('through serve with LANSPREAD_BLAKE3=native, status says native', async () => {
    const lib = await makeTempLibrary([{id: 'alpha', name: 'alpha'}])
    const serve = await startServe(lib.gamesDir, [], {LANSPREAD_BLAKE3: 'native'})
    const up = await runCli(['status', '--games', lib.gamesDir, '--json'])
    expect(json<{runtime: Runtime}>(up).runtime).toEqual({...here, blake3: 'native'})
    expect(serve.stderr()).toContain(`runtime: ${here.platform} ${here.arch}, Node ${here.node}, BLAKE3 native`)
  })
})
