// Preloaded (node --import) into the serves bench:memory runs: every 100 ms, appends one JSON
// line to $BENCH_MEM_FILE with this process's label, the time, and process.memoryUsage() (rss,
// V8 heap, external, arrayBuffers) in KiB, and RSS split into anonymous, file-backed and shared pages
// (/proc/self/status), so the bench can say what made up the peak RSS.
import {appendFileSync, readFileSync} from 'node:fs'

const file = process.env.BENCH_MEM_FILE
const label = process.env.BENCH_LABEL ?? String(process.pid)
const kib = (bytes) => Math.round(bytes / 1024)

/** RssAnon, RssFile and RssShmem in KiB (0 off Linux). */
function rssSplit() {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0)
    return {anon: field('RssAnon'), file: field('RssFile'), shmem: field('RssShmem')}
  } catch {
    return {anon: 0, file: 0, shmem: 0}
  }
}

if (file) {
  setInterval(() => {
    const {rss, heapTotal, heapUsed, external, arrayBuffers} = process.memoryUsage()
    const line = {
      label,
      t: Date.now(),
      rss: kib(rss),
      heap_total: kib(heapTotal),
      heap_used: kib(heapUsed),
      external: kib(external),
      array_buffers: kib(arrayBuffers),
      ...rssSplit(),
    }
    appendFileSync(file, `${JSON.stringify(line)}\n`)
  }, 100).unref()
}
