// What this process runs on and which native parts loaded, for `status` and serve's start log:
// on Windows or macOS a fallback may stand in for a native module (record 0036).
import {z} from 'zod'
import {blake3Backend} from '../library/blake3.js'

export const RuntimeInfoSchema = z.object({
  /** process.platform: linux, win32, darwin, … */
  platform: z.string(),
  /** process.arch: x64, arm64, … */
  arch: z.string(),
  /** Node's version, without the leading v. */
  node: z.string(),
  /** native: @napi-rs/blake-hash loaded; wasm: blake3-wasm stands in (or LANSPREAD_BLAKE3=wasm). */
  blake3: z.enum(['native', 'wasm']),
})
export type RuntimeInfo = z.infer<typeof RuntimeInfoSchema>

/** This process's runtime; loads the BLAKE3 backend if nothing hashed yet (a usage error for a bad LANSPREAD_BLAKE3). */
export function runtimeInfo(): RuntimeInfo {
  return {platform: process.platform, arch: process.arch, node: process.versions.node, blake3: blake3Backend()}
}

/** One line for a human: `linux x64, Node 20.19.0, BLAKE3 native`. */
export function runtimeText(runtime: RuntimeInfo): string {
  return `${runtime.platform} ${runtime.arch}, Node ${runtime.node}, BLAKE3 ${runtime.blake3}`
}
