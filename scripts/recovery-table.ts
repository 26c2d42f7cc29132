// Prints the recovery decision table as Markdown (paste it into IMPL_DECISIONS.md; a test
// fails when the two differ): node --import tsx scripts/recovery-table.ts
import {recoveryTableMarkdown} from '../src/ops/recovery-table.js'

console.log(recoveryTableMarkdown())
