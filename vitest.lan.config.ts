import {defineConfig} from 'vitest/config'

// LAN tests (`npm run test:lan`): real serve processes with mDNS in network namespaces the
// tests create and remove. Root only; kept out of `npm test`, run after it by .ci/run.
export default defineConfig({
  test: {
    include: ['test/lan/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
