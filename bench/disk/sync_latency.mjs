// How long a sync of a small append takes on this disk, when the write grows
// the file (each sync then also commits the file system's journal: the new
// length) and when it lands inside a file already written with zeros (a sync
// flushes data only). The message journal extends its segments ahead of the
// records for this reason (server/src/store/sqlite/message_journal.hpp).
//
//   node bench/disk/sync_latency.mjs [directory] [syncs per run]
//
// Runs the two kinds interleaved, twice, and prints mean / p50 / p99 in ms.
import fs from 'node:fs'
import path from 'node:path'

const dir = process.argv[2] ?? path.join(import.meta.dirname, '..', '.data')
const syncs = Number(process.argv[3] ?? 2000)
const recordBytes = 4000 // a journal round at ~10,000 msg/s: ~20 messages of ~200 bytes

function run(preallocated) {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `sync-latency-${process.pid}`)
  const fd = fs.openSync(file, 'w+', 0o600)
  try {
    if (preallocated) {
      fs.writeSync(fd, Buffer.alloc(syncs * recordBytes + 4096), 0, undefined, 0)
      fs.fdatasyncSync(fd)
    }
    const record = Buffer.alloc(recordBytes, 'x')
    const ms = []
    for (let i = 0; i < syncs; i += 1) {
      fs.writeSync(fd, record, 0, recordBytes, i * recordBytes)
      const start = process.hrtime.bigint()
      fs.fdatasyncSync(fd)
      ms.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
    ms.sort((a, b) => a - b)
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length
    const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]
    return `mean ${mean.toFixed(3)}  p50 ${at(0.5).toFixed(3)}  p99 ${at(0.99).toFixed(3)} ms`
  } finally {
    fs.closeSync(fd)
    fs.rmSync(file, { force: true })
  }
}

for (let repeat = 0; repeat < 2; repeat += 1) {
  console.log(`growing the file:   ${run(false)}`)
  console.log(`inside the length:  ${run(true)}`)
}
