// What `npm ci` needs on every platform (record 0036): package-lock.json holds every platform
// package the native dependencies publish and nothing npm ci would refuse, and the scripts
// npm runs on install (prepare → build) need no POSIX shell (npm uses cmd.exe on Windows).
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {z} from 'zod'
import {REPO_ROOT} from './helpers/cli.js'

const Entry = z.object({version: z.string().optional(), optionalDependencies: z.record(z.string(), z.string()).optional()})
const Lock = z.object({packages: z.record(z.string(), Entry)})
const Manifest = z.object({dependencies: z.record(z.string(), z.string()), scripts: z.record(z.string(), z.string())})

const lock = Lock.parse(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')))
const manifest = Manifest.parse(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')))
const NATIVE = ['@matrixai/quic', '@napi-rs/blake-hash']

describe('package-lock.json and the native dependencies', () => {
  it.each(NATIVE)('%s: the lock holds the pinned version and every optional package it lists', (name) => {
    const parent = lock.packages[`node_modules/${name}`]
    expect(parent?.version).toBe(manifest.dependencies[name])
    // npm ci refuses a lock whose parent lists an optional package the lock has no entry for.
    for (const [child, version] of Object.entries(parent?.optionalDependencies ?? {})) {
      expect({child, version: lock.packages[`node_modules/${child}`]?.version}).toEqual({child, version})
    }
  })

  it('native BLAKE3 is locked for Windows, macOS and Linux on x64 and arm64', () => {
    const listed = Object.keys(lock.packages['node_modules/@napi-rs/blake-hash']?.optionalDependencies ?? {})
    for (const platform of ['win32-x64-msvc', 'win32-arm64-msvc', 'darwin-x64', 'darwin-arm64', 'linux-x64-gnu', 'linux-arm64-gnu']) {
      expect(listed).toContain(`@napi-rs/blake-hash-${platform}`)
    }
  })

  it('the scripts run under cmd.exe too: no rm, cp, mv, mkdir -p, single quotes or VAR=value prefixes', () => {
    const posixOnly = /(^|&&\s*)(rm|cp|mv|mkdir -p|export)\s|'|(^|&&\s*)[A-Z_]+=\S+\s/
    expect(Object.entries(manifest.scripts).filter(([, command]) => posixOnly.test(command))).toEqual([])
  })
})
