// Preloaded (node --import) into the processes bench:fetch runs: at exit, appends one JSON
// line with this process's pid, peak RSS (getrusage maxrss) and CPU time to $BENCH_RSS_FILE:
// user and system, and the main thread's share of each (/proc/self/task/PID/stat), the rest
// being libuv's pool (file writes, fsync), V8's helper threads (GC) and any worker threads.
import {appendFileSync, readFileSync} from 'node:fs'

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
  }
  appendFileSync(process.env.BENCH_RSS_FILE, `${JSON.stringify(line)}\n`)
})
