#!/usr/bin/env node
// The installed entry point: runs the compiled commands from dist/.
import {main} from '../dist/cli/main.js'

await main({dir: import.meta.url})
