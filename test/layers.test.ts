import path from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'

const ROOT = path.join(import.meta.dirname, '..')

interface Violation {
  rule: {name: string}
  from: string
  to: string
}

/** Runs dependency-cruiser with the project's rule file (.dependency-cruiser.cjs) over `target`. */
async function cruise(target: string): Promise<Violation[]> {
  const run = await execa('node_modules/.bin/depcruise', [target, '--output-type', 'json'], {cwd: ROOT, reject: false})
  const report = JSON.parse(run.stdout) as {summary: {violations: Violation[]}}
  return report.summary.violations
}

// The layer order of issue 20 (commands -> cli -> api -> peer/control -> download, serving, sync,
// discovery -> transport, ops -> protocol, library -> fs -> errors, config, util, words).
describe('the layers of src/', () => {
  it('have no import circle and no arrow up', async () => {
    const violations = await cruise('src')
    expect(violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([])
  })

  it('are checked: an arrow up in a fixture is reported', async () => {
    const violations = await cruise('test/fixtures/layers')
    expect(violations.map((v) => v.rule.name).sort()).toEqual(['no-circular', 'no-upward-from-layer-2'])
  })
})
