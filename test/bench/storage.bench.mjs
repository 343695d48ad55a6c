// Saving and loading baselines at 2,000 mature operations (1,000 samples each): file bytes per
// operation, and per save the wall time and the longest event-loop stall, measured with
// monitorEventLoopDelay (1 ms resolution) while a save runs. Three saves: the first (a new
// file), one after a single change (the file is still ours: not read again), and one after
// another tracker wrote the file (read, checked and merged under the lock). Also the
// synchronous load of that file when a tracker is created. `PERFWATCH_DIST` points at another
// build to compare. Writes docs/results/storage.{json,md}.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { writeResult } from './report.mjs'
import { makeRandom, silentLogger as silent } from './sim.mjs'

const dist = process.env.PERFWATCH_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { PerformanceTracker } = await import(join(dist, 'index.js'))
const OPERATIONS = 2000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const random = makeRandom(9)
const settle = () => new Promise((resolve) => setImmediate(resolve))

function tracker(path) {
  return new PerformanceTracker({
    storagePath: path,
    logger: silent,
    maxOperations: OPERATIONS,
    saveDelayMs: 3_600_000, // saved by flush() only, while measured
  })
}

async function measured(save) {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  await settle()
  delay.enable()
  const started = performance.now()
  await save()
  const wallMs = performance.now() - started
  delay.disable()
  return { wallMs, stallMs: delay.max / 1e6 }
}

async function round() {
  const dir = mkdtempSync(join(tmpdir(), 'perfwatch-bench-'))
  const path = join(dir, 'baselines.json')
  try {
    const writer = tracker(path)
    for (let k = 0; k < OPERATIONS; k++) {
      const median = 1 + (k % 50)
      for (let i = 0; i < 1000; i++)
        writer.record(`service.method${k}`, median * Math.exp(0.5 * random.normal()))
    }
    await settle() // digests are filled after the call that built each baseline
    const first = await measured(() => writer.flush())
    const bytes = statSync(path).size
    writer.resetBaseline('service.method0')
    const again = await measured(() => writer.flush())
    const other = tracker(path)
    other.resetBaseline('service.method1')
    await other.flush()
    writer.resetBaseline('service.method2')
    const merged = await measured(() => writer.flush())
    const loadStarted = performance.now()
    const loaded = tracker(path)
    const loadMs = performance.now() - loadStarted
    if (loaded.getSystemSummary().trackedOperations.length < OPERATIONS - 3) {
      throw new Error('baselines missing after the saves')
    }
    await Promise.all([writer.close(), other.close(), loaded.close()])
    return { bytesPerOperation: bytes / OPERATIONS, first, again, merged, loadMs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const rounds = []
for (let r = 0; r < ROUNDS; r++) {
  rounds.push(await round())
  process.stderr.write(`round ${r + 1}/${ROUNDS}\n`)
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const summary = (pick) => {
  const xs = rounds.map(pick)
  return { median: median(xs), max: Math.max(...xs) }
}
const saves = ['first', 'again', 'merged'].map((kind) => ({
  kind,
  wallMs: summary((r) => r[kind].wallMs),
  stallMs: summary((r) => r[kind].stallMs),
}))
const labels = {
  first: 'first save (new file)',
  again: 'save after one change (file still ours)',
  merged: 'save after another writer (read, checked, merged)',
}
const f = (x) => x.toFixed(1)
const bytes = median(rounds.map((r) => r.bytesPerOperation))
const load = summary((r) => r.loadMs)
writeResult(
  'storage',
  {
    operations: OPERATIONS,
    rounds: ROUNDS,
    bytesPerOperation: bytes,
    saves,
    loadMs: load,
    raw: rounds,
  },
  [
    `${OPERATIONS} mature operations (1,000 samples each), ${ROUNDS} rounds: median (max).`,
    `File: ${((bytes * OPERATIONS) / 1e6).toFixed(1)} MB, ${Math.round(bytes)} bytes per operation.`,
    '',
    '| save | wall time, ms | longest event-loop stall, ms |',
    '| --- | --- | --- |',
    ...saves.map(
      (s) =>
        `| ${labels[s.kind]} | ${f(s.wallMs.median)} (${f(s.wallMs.max)}) | ${f(s.stallMs.median)} (${f(s.stallMs.max)}) |`,
    ),
    `| load when a tracker is created (synchronous) | ${f(load.median)} (${f(load.max)}) | the same |`,
  ].join('\n'),
)
