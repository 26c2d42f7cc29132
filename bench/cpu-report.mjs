// Preloaded (node --import) into each process bench:scan times: at exit, appends this
// process's CPU time (user + system, getrusage of the whole process) to $BENCH_CPU_FILE.
import {appendFileSync} from 'node:fs'

process.on('exit', () => {
  const {user, system} = process.cpuUsage()
  appendFileSync(process.env.BENCH_CPU_FILE, `${(user + system) / 1000}\n`)
})
