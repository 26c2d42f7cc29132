// Part of `npm run build`, first: removes dist/ so no module of a deleted source lingers there.
// A Node script, not `rm -rf`: npm runs scripts with cmd.exe on Windows, which has no rm.
import {rmSync} from 'node:fs'

rmSync(new URL('../dist', import.meta.url), {recursive: true, force: true})
