import {execa} from 'execa'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../helpers/cli.js'

/** Command lines of the live processes that mention `text` (the demo's peers name their temp folder). */
function processesMentioning(text: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(path.join('/proc', pid, 'cmdline'), 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`)
    } catch {
      // The process ended while we looked.
    }
  }
  return found
}

describe('npm run demo', () => {
  it('fetches and installs sample games between peers on loopback, says what happened, and leaves nothing behind', async () => {
    const demo = await execa('node', ['--import', 'tsx', path.join('scripts', 'demo.ts')], {
      cwd: REPO_ROOT,
      reject: false,
      timeout: 180_000,
      stdin: 'ignore',
      env: {LANSPREAD_GAMES: ''},
    })
    expect(demo.exitCode, demo.stderr).toBe(0)
    const root = /a sample library in (\S+)/.exec(demo.stdout)?.[1]
    expect(root).toBeDefined()
    expect(demo.stdout).toMatch(/B fetched quake 1\.09: 104\.0 MiB in [\d.]+ s from A \(104\.0 MiB\), installed: yes/)
    // The one-shot peer C's table: quake from two sources, openarena from one, both installed.
    expect(demo.stdout).toMatch(/quake\s+1\.09\s+104\.0 MiB\s+0 B\s+[\d.]+\s+2\s+0\s+installed/)
    expect(demo.stdout).toMatch(/openarena\s+0\.8\.8\s+6\.0 MiB\s+0 B\s+[\d.]+\s+1\s+0\s+installed/)
    expect(demo.stdout).toContain('What happened:')
    expect(demo.stdout).toContain('quake/local/id1/pak0.pak (96.0 MiB)')
    expect(demo.stdout).toContain('openarena/local/baseoa/pak0.pk3 (6.0 MiB)')
    expect(demo.stdout).toContain(`cleaned up: peers stopped, ${root} removed`)
    expect(existsSync(root!)).toBe(false)
    expect(processesMentioning(root!)).toEqual([])
  }, 200_000)

  it('cleans up on Ctrl-C: no peer and no temp folder outlive it', async () => {
    const demo = execa('node', ['--import', 'tsx', path.join('scripts', 'demo.ts')], {
      cwd: REPO_ROOT,
      reject: false,
      timeout: 180_000,
      stdin: 'ignore',
      env: {LANSPREAD_GAMES: ''},
      buffer: true,
    })
    let stdout = ''
    demo.stdout?.on('data', (piece: Buffer) => (stdout += piece.toString()))
    const deadline = Date.now() + 60_000
    while (!stdout.includes('peer B serving') && Date.now() < deadline && demo.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50))
    const root = /a sample library in (\S+)/.exec(stdout)?.[1]
    expect(root).toBeDefined()
    expect(processesMentioning(root!).length).toBeGreaterThan(0)
    demo.kill('SIGINT')
    const result = await demo
    expect(result.exitCode).toBe(130)
    expect(existsSync(root!)).toBe(false)
    expect(processesMentioning(root!)).toEqual([])
  }, 120_000)
})
