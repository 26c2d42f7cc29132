// Preloaded (node --import) into the processes bench:fetch runs: at exit, appends one JSON
// line with this process's peak RSS (getrusage maxrss) and CPU time to $BENCH_RSS_FILE.
import {appendFileSync} from 'node:fs'

process.on('exit', () => {
  const {maxRSS, userCPUTime, systemCPUTime} = process.resourceUsage()
  const line = {label: process.env.BENCH_LABEL ?? process.argv.slice(1).join(' '), max_rss_kib: maxRSS, cpu_ms: (userCPUTime + systemCPUTime) / 1000}
  appendFileSync(process.env.BENCH_RSS_FILE, `${JSON.stringify(line)}\n`)
})
