// The floor bench:fetch compares `fetch` with: a bare node:tls stream of a game's files from
// disk to disk between two processes, no framing, no hashing, no chunks.
//   server: node bare-tls-stream.mjs server CERT KEY FILE...   prints {"port"} and serves one client
//   client: node bare-tls-stream.mjs client PORT OUTDIR NAME:SIZE...   prints {"bytes","ms"}
// The client batches what arrives into ≥ 4 MiB writev calls (a fair copy, not a naive one
// write per 16 KiB TLS record) and fsyncs each file at the end, as the downloader does.
import {once} from 'node:events'
import fs from 'node:fs/promises'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {createReadStream} from 'node:fs'
import tls from 'node:tls'

const [mode, ...args] = process.argv.slice(2)
const BATCH = 4 * 1024 * 1024

async function server([certFile, keyFile, ...files]) {
  const server = tls.createServer({cert: readFileSync(certFile), key: readFileSync(keyFile)}, async (socket) => {
    for (const file of files) await pipeline(createReadStream(file, {highWaterMark: 1024 * 1024}), socket, {end: false})
    socket.end()
    socket.once('close', () => server.close())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  process.stdout.write(`${JSON.stringify({port: server.address().port})}\n`)
}

async function client([port, outDir, ...specs]) {
  const files = specs.map((spec) => {
    const at = spec.lastIndexOf(':')
    return {name: spec.slice(0, at), size: Number(spec.slice(at + 1))}
  })
  const started = performance.now()
  const socket = tls.connect({host: '127.0.0.1', port: Number(port), rejectUnauthorized: false})
  await once(socket, 'secureConnect')
  let index = 0
  let handle = await fs.open(path.join(outDir, files[0].name), 'w')
  let left = files[0].size
  let pending = []
  let pendingBytes = 0
  let total = 0
  const flush = async () => {
    if (pendingBytes > 0) await handle.writev(pending)
    pending = []
    pendingBytes = 0
  }
  const nextFile = async () => {
    await flush()
    await handle.sync()
    await handle.close()
    index++
    if (index < files.length) {
      handle = await fs.open(path.join(outDir, files[index].name), 'w')
      left = files[index].size
    }
  }
  for await (let piece of socket) {
    while (piece.length > 0) {
      const take = Math.min(piece.length, left)
      pending.push(piece.subarray(0, take))
      pendingBytes += take
      total += take
      left -= take
      piece = piece.subarray(take)
      if (left === 0) await nextFile()
      else if (pendingBytes >= BATCH) await flush()
    }
  }
  if (index < files.length) throw new Error(`stream ended after ${total} bytes, in file ${files[index].name}`)
  process.stdout.write(`${JSON.stringify({bytes: total, ms: performance.now() - started})}\n`)
}

await (mode === 'server' ? server(args) : client(args))
