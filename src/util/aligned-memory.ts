// Page-aligned buffers, so a verified chunk can be written with O_DIRECT (no copy into the page
// cache); a WebAssembly.Memory is the one allocation JavaScript can make whose start is page-aligned.
// Shared memory, so a worker thread hashes a chunk in place. `isPageAligned` tells these apart.

/** O_DIRECT needs the buffer, the file offset and the length aligned to the device's block; a page covers every usual block size. */
export const DIRECT_IO_ALIGNMENT = 4096

const WASM_PAGE = 64 * 1024

/** The part of WebAssembly.Memory used here (@types/node declares no WebAssembly.Memory). */
interface WasmMemory {
  readonly buffer: SharedArrayBuffer
}
type WasmMemoryConstructor = new (descriptor: {initial: number; maximum: number; shared: boolean}) => WasmMemory
const WasmMemory = (globalThis as unknown as {WebAssembly: {Memory: WasmMemoryConstructor}}).WebAssembly.Memory

/** The ArrayBuffers allocated here: only these are known to start on a page. */
const alignedMemory = new WeakSet<ArrayBufferLike>()

/**
 * A buffer of `size` bytes starting on a page boundary, or a plain (unaligned) one when the
 * engine refuses the memory (it reserves address space per WebAssembly.Memory): the bytes are
 * then written through the page cache as before, nothing fails.
 */
export function allocPageAligned(size: number): Buffer {
  const pages = Math.max(1, Math.ceil(size / WASM_PAGE))
  let memory: WasmMemory
  try {
    memory = new WasmMemory({initial: pages, maximum: pages, shared: true})
  } catch {
    return Buffer.allocUnsafe(size)
  }
  alignedMemory.add(memory.buffer)
  return Buffer.from(memory.buffer, 0, size)
}

/** True when `bytes` lies in page-aligned memory at an aligned start and is a whole number of pages long. */
export function isPageAligned(bytes: Uint8Array): boolean {
  return alignedMemory.has(bytes.buffer) && bytes.byteOffset % DIRECT_IO_ALIGNMENT === 0 && bytes.byteLength % DIRECT_IO_ALIGNMENT === 0
}
