// A plain `lanspread scan` runs without oclif (cli/fast-scan.ts). It must print, warn, fail
// and exit exactly as the oclif command does (reached here by a trailing `--`, which only
// oclif parses), and its module graph must stay free of oclif, zod and the network stack.
// It runs from the build's bundle (dist/bundle/), which these tests run as users do.
import {readFileSync} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import {CLI, REPO_ROOT, runCli} from '../helpers/cli.js'
import {makeTempDir, makeTempLibrary} from '../helpers/temp-library.js'

/** Same output apart from the time the scan took. */
function comparable(text: string): string {
  return text.replace(/"elapsed_ms":\d+(\.\d+)?/g, '"elapsed_ms":0').replace(/in \d+(\.\d+)? ms/g, 'in 0 ms')
}

async function library() {
  const lib = await makeTempLibrary([
    {id: 'quake3', name: 'Quake III Arena'},
    {id: 'doom', name: 'DOOM'},
  ])
  await lib.writeGame('quake3', {'version.ini': '1.32\n', 'game.eti': 'x', 'data/a.pk3': 'aa'})
  await lib.writeGame('doom', {'version.ini': '1.9\n', 'doom.eti': 'y', '.version.ini.tmp': ''})
  await fs.writeFile(lib.file('notes.txt'), 'not a game')
  return lib
}

describe('scan without oclif', () => {
  it.each([[[]], [['--json']], [['--json', '--full']]])('prints, warns and exits as the oclif command does: scan %j', async (flags) => {
    const lib = await library()
    await runCli(['scan', '--games', lib.gamesDir]) // both runs below are warm scans
    const fast = await runCli(['scan', ...flags, '--games', lib.gamesDir])
    const oclif = await runCli(['scan', ...flags, '--games', lib.gamesDir, '--'])
    expect(fast.exitCode).toBe(0)
    expect(comparable(String(fast.stdout))).toBe(comparable(String(oclif.stdout)))
    expect(String(fast.stderr)).toBe(String(oclif.stderr))
    expect(String(fast.stderr)).toContain('warning: ignored (not a game folder): notes.txt')
    expect(String(fast.stderr)).toContain('warning: game doom holds an interrupted operation')
  })

  it.each([[[]], [['--json']]])('fails as the oclif command does: scan %j of a missing games folder', async (flags) => {
    const dir = await makeTempDir()
    const games = path.join(dir, 'nowhere')
    const fast = await runCli(['scan', ...flags, `--games=${games}`])
    const oclif = await runCli(['scan', ...flags, `--games=${games}`, '--'])
    expect(fast.exitCode).toBe(oclif.exitCode)
    expect(fast.exitCode).not.toBe(0)
    expect(String(fast.stdout)).toBe(String(oclif.stdout))
    expect(String(fast.stderr)).toBe(String(oclif.stderr))
  })

  it('runs from the loose modules, with the same output, when the build has no bundle (tsc alone)', async () => {
    const lib = await library()
    const copy = await makeTempDir()
    await fs.cp(path.join(REPO_ROOT, 'dist'), path.join(copy, 'dist'), {recursive: true})
    await fs.cp(path.join(REPO_ROOT, 'bin'), path.join(copy, 'bin'), {recursive: true})
    await fs.copyFile(path.join(REPO_ROOT, 'package.json'), path.join(copy, 'package.json'))
    await fs.symlink(path.join(REPO_ROOT, 'node_modules'), path.join(copy, 'node_modules'))
    await fs.rm(path.join(copy, 'dist', 'bundle'), {recursive: true})
    await runCli(['scan', '--games', lib.gamesDir])
    const bundled = await runCli(['scan', '--json', '--games', lib.gamesDir])
    const loose = await execa('node', [path.join(copy, 'bin', 'run.js'), 'scan', '--json', '--games', lib.gamesDir], {
      reject: false,
      env: {LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
      timeout: 20_000,
      stdin: 'ignore',
    })
    expect(loose.exitCode).toBe(0)
    expect(comparable(String(loose.stdout))).toBe(comparable(String(bundled.stdout)))
    expect(String(loose.stderr)).toBe(String(bundled.stderr))
  })

  it('reads LANSPREAD_GAMES as the --games flag does', async () => {
    const lib = await library()
    const result = await runCli(['scan', '--json'], {env: {LANSPREAD_GAMES: lib.gamesDir}})
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(String(result.stdout)).games.map((g: {id: string}) => g.id)).toEqual(['doom', 'quake3'])
  })

  it('loads neither oclif nor zod nor any network, archive or watcher module; a no-op warm scan not even BLAKE3', async () => {
    const lib = await library()
    const record = path.join(await makeTempDir(), 'imports.txt')
    const run = async (): Promise<string[]> => {
      await fs.rm(record, {force: true})
      const result = await execa(
        'node',
        ['--import', path.join(REPO_ROOT, 'test/helpers/record-imports.mjs'), CLI, 'scan', '--json', '--games', lib.gamesDir],
        {
          reject: false,
          env: {RECORD_IMPORTS_FILE: record, LANSPREAD_GAMES: '', LANSPREAD_MDNS: '0'},
          timeout: 20_000,
          stdin: 'ignore',
        },
      )
      expect(result.exitCode).toBe(0)
      return readFileSync(record, 'utf8').split('\n')
    }
    const cold = await run() // walks both games and writes the index and game files
    const warm = await run()
    // The cold scan hashes manifests; a warm scan that changed nothing reuses the stored library_digest.
    expect(cold.some((file) => file.includes('node_modules/@napi-rs/blake-hash'))).toBe(true)
    expect(warm.filter((file) => /node_modules\/(@napi-rs\/blake-hash|blake3-wasm)/.test(file))).toEqual([])
    for (const loaded of [cold, warm]) {
      // The build's bundle runs the scan (scripts/bundle-fast-scan.mjs): of dist/'s loose modules only main's own.
      expect(loaded.some((url) => url.includes('/dist/bundle/fast-scan.js'))).toBe(true)
      const loose = new Set(loaded.filter((url) => /\/dist\/(?!bundle\/)/.test(url)).map((url) => url.replace(/^.*\/dist\//, '')))
      expect([...loose].sort()).toEqual(['cli/closed-output.js', 'cli/fast-scan-flags.js', 'cli/main.js'])
      for (const heavy of ['@oclif/', '/zod/', '@matrixai/quic', 'chokidar', '/tar/', 'yauzl', '@peculiar/x509', 'multicast-dns', 'listr2', 'cli-progress']) {
        expect(loaded.filter((url) => url.includes(`node_modules/${heavy.replace(/^\//, '')}`))).toEqual([])
      }
    }
  })
})
