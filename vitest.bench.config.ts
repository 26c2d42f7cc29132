import {defineConfig} from 'vitest/config'

// Throughput measurements that run through vitest (they reuse the test helpers), kept out of
// `npm test`: `npm run bench:quic`, `npm run bench:bulk`.
export default defineConfig({
  test: {
    include: ['bench/**/*.vitest.ts'],
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
})
