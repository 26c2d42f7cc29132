// Preloaded (node --import) into the processes bench:fetch runs: at exit, appends one JSON
// line with this process's pid, peak RSS (getrusage maxrss) and CPU time to $BENCH_RSS_FILE:
// user and system, and the main thread's share of each (/proc/self/task/PID/stat), the rest
// being libuv's pool (file writes, fsync), V8's helper threads (GC) and any worker threads;
// and the event loop's utilization in its busiest second (is the loop what holds the process back?).
import {appendFileSync, readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'

/** Event-loop utilization per second of the process's life (an unref'd timer: it keeps nothing alive). */
const eluPerSecond = []
let lastElu = performance.eventLoopUtilization()
setInterval(() => {
  const now = performance.eventLoopUtilization()
  eluPerSecond.push(performance.eventLoopUtilization(now, lastElu).utilization)
  lastElu = now
}, 1000).unref()

/** utime and stime of this process's main thread in ms (clock ticks of 10 ms), or undefined off Linux. */
function mainThreadCpu() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {main_user_ms: Number(fields[11]) * 10, main_sys_ms: Number(fields[12]) * 10}
  } catch {
    return {}
  }
}

process.on('exit', () => {
  const {maxRSS, userCPUTime, systemCPUTime} = process.resourceUsage()
  const line = {
    label: process.env.BENCH_LABEL ?? process.argv.slice(1).join(' '),
    pid: process.pid,
    max_rss_kib: maxRSS,
    cpu_ms: (userCPUTime + systemCPUTime) / 1000,
    user_ms: userCPUTime / 1000,
    sys_ms: systemCPUTime / 1000,
    ...mainThreadCpu(),
    elu_busiest_second: eluPerSecond.length === 0 ? undefined : Math.max(...eluPerSecond),
    elu_per_second: eluPerSecond.map((u) => Number(u.toFixed(2))),
  }
  appendFileSync(process.env.BENCH_RSS_FILE, `${JSON.stringify(line)}\n`)
})
