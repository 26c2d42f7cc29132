import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/lan runs under its own config (root, namespaces, long timeouts): `npm run test:lan`.
    exclude: ['test/lan/**', 'node_modules/**'],
    // A guard beside the explicit --no-mdns of the helpers: no serve or one-shot fetch started
    // by these tests sends multicast on this machine's interfaces (LAN tests: test:lan).
    env: {LANSPREAD_MDNS: '0'},
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
