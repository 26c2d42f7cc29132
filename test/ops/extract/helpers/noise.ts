// Deterministic bytes that do not compress, so a cut or a flipped byte lands in real data
// and progress has something to count.

export function noise(size: number, seed = 12345): Buffer {
  const data = Buffer.alloc(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    data[i] = x >>> 24
  }
  return data
}
