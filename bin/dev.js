#!/usr/bin/env node
// The development entry point: runs the TypeScript sources directly through tsx.
import {tsImport} from 'tsx/esm/api'

const {main} = await tsImport('../src/cli/main.ts', import.meta.url)
await main({development: true, dir: import.meta.url})
