// Pipeline stages (StageTracker). Two parts, in one process:
// 1. What a stage costs beyond the user's function: each case times STAGES stages one by one
//    (performance.now() around the call, or around its `await`), the cases taking turns by
//    blocks of 20 stages, so a noisy spell of the machine (or of the disk) hits every case alike.
//    Floors: a bare call of a trivial function, of `async () => 1` awaited, of a 1 ms busy-wait,
//    and the file write done by hand (with and without fsync). Target: under 1 ms per stage
//    including its file (persist: true: temporary file and rename; durable: true adds an fsync of
//    the file and of its folder, measured too).
// 2. A run of RUN_ITEMS × 4 stage metrics written once with persist: true (and once in memory,
//    persist: false), then the time of getRunMetrics, getStageStatistics, getRunSummary,
//    analyzeRun and exportMetricsCsv on it, median of READS rounds. Target: under 1 s each. The
//    run is made with an injected clock that advances by drawn durations, so it has realistic
//    durations without taking them.
// Files go to a temp folder under os.tmpdir(); its file system is printed, since fsync costs
// depend on it. `PERFWATCH_DIST` points at another build. Writes docs/results/stages.{json,md}.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeResult } from './report.mjs'
import { busyWait, makeRandom, silentLogger as silent } from './sim.mjs'

const dist = process.env.PERFWATCH_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { PerformanceTracker, StageTracker } = await import(join(dist, 'index.js'))
const STAGES = Number(process.env.BENCH_STAGES ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10)
const RUN_ITEMS = Number(process.env.BENCH_RUN_ITEMS ?? 2500)
const READS = Number(process.env.BENCH_READS ?? 5)
const PER_ROUND = Math.ceil(STAGES / ROUNDS)
/** Stages of one case in a row, within a round. */
const BLOCK = 20
const gc = globalThis.gc ?? (() => {})
let sink = 0

const trivial = () => 1
const trivialAsync = async () => 1
const oneMs = () => busyWait(1)

const root = mkdtempSync(join(tmpdir(), 'perfwatch-bench-stages-'))
const newTracker = () => new PerformanceTracker({ storagePath: null, logger: silent })
const stageTracker = (persist, tracker, dir, durable = false) =>
  new StageTracker({ outputDir: join(root, dir), persist, durable, tracker, logger: silent })

// ---- 1. cost per stage -------------------------------------------------------------------------

const trackers = {
  fileTracker: stageTracker(true, newTracker(), 'file-tracker'),
  fileNoTracker: stageTracker(true, false, 'file-no-tracker'),
  fileDurable: stageTracker(true, newTracker(), 'file-durable', true),
  memoryTracker: stageTracker(false, newTracker(), 'memory-tracker'),
  memoryNoTracker: stageTracker(false, false, 'memory-no-tracker'),
}
/** What a metric file of the trivial stage holds, for the hand-written write floors. */
const metricText = `${JSON.stringify(
  {
    format: 'perfwatch-stage-metric',
    version: 1,
    runId: 'bench-fileTracker-0',
    itemId: 'item-12345',
    stage: 's',
    status: 'success',
    error: null,
    startedAt: new Date().toISOString(),
    durationMs: 0.0021,
    apiCalls: {},
    itemsProcessed: 0,
    attributes: {},
  },
  null,
  2,
)}\n`
/** The by-hand writes' folder of a round: a fresh one per round, as a run's folder is. */
const floorDir = (round) => {
  const dir = join(root, `floor-${round}`)
  mkdirSync(dir, { recursive: true })
  return dir
}
/** What replaceFileSync does, by hand: temp file, fsync, rename, fsync of the folder. */
function atomicWrite(dir, name, shouldSync) {
  const path = join(dir, name)
  const temp = `${path}.tmp`
  const fd = openSync(temp, 'wx')
  writeFileSync(fd, metricText)
  if (shouldSync) fsyncSync(fd)
  closeSync(fd)
  renameSync(temp, path)
  if (shouldSync) {
    const folder = openSync(dir, 'r')
    fsyncSync(folder)
    closeSync(folder)
  }
  return 1
}
let serial = 0
/** A fresh run per case and round: in memory, a run's list stays at PER_ROUND metrics. */
const runOf = (id, round) => `bench-${id}-${round}`
const itemOf = () => `item-${serial++}`

// id, label, measure(round) → duration of one stage in ms; `floor`: what the case's own work
// costs without perfwatch, subtracted to give the cost perfwatch adds.
const CASES = [
  { id: 'floorTrivial', label: 'floor: bare call of a trivial function', sync: () => trivial() },
  {
    id: 'floorAsync',
    label: 'floor: `await` of `async () => 1`',
    async: () => trivialAsync(),
  },
  { id: 'floor1ms', label: 'floor: bare call of a 1 ms busy-wait', sync: () => oneMs() },
  {
    id: 'floorWrite',
    label: 'floor: `writeFileSync` of a new metric-sized file, no fsync',
    isApart: true,
    sync: (round) => {
      writeFileSync(join(floorDir(round), `${itemOf()}.json`), metricText)
      return 1
    },
  },
  {
    id: 'floorAtomic',
    label: 'floor: by hand, temp file + fsync + rename + fsync of the folder, new file',
    sync: (round) => atomicWrite(floorDir(round), `${itemOf()}.json`, true),
  },
  {
    id: 'floorAtomicReplace',
    label: 'floor: the same by hand over an existing file',
    sync: (round) => atomicWrite(floorDir(round), 'same.json', true),
  },
  {
    id: 'floorRename',
    label: 'floor: by hand, temp file + rename, no fsync, new file',
    isApart: true,
    sync: (round) => atomicWrite(floorDir(round), `${itemOf()}.json`, false),
  },
  // Writes without fsync (the default) are measured apart from those with: see below.
  ...[
    ['fileTracker', 'persist: true, default tracker', true],
    ['fileNoTracker', 'persist: true, tracker: false', true],
    ['fileDurable', 'persist: true, durable: true, default tracker', false],
    ['memoryTracker', 'persist: false, default tracker', false],
    ['memoryNoTracker', 'persist: false, tracker: false', false],
  ].map(([key, what, isApart]) => ({
    id: `sync-${key}`,
    label: `trackStage, trivial sync function, ${what}`,
    floor: 'floorTrivial',
    isApart,
    sync: (round) => trackers[key].trackStage(runOf(key, round), itemOf(), 'sync', trivial),
  })),
  ...[
    ['fileTracker', 'persist: true, default tracker', true],
    ['fileDurable', 'persist: true, durable: true, default tracker', false],
    ['memoryTracker', 'persist: false, default tracker', false],
  ].map(([key, what, isApart]) => ({
    id: `async-${key}`,
    label: `trackStage, \`async () => 1\`, ${what}`,
    floor: 'floorAsync',
    isApart,
    async: (round) =>
      trackers[key].trackStage(runOf(`async-${key}`, round), itemOf(), 'async', trivialAsync),
  })),
  ...[
    ['fileTracker', 'persist: true, default tracker', true],
    ['fileDurable', 'persist: true, durable: true, default tracker', false],
  ].map(([key, what, isApart]) => ({
    id: `sync1ms-${key}`,
    label: `trackStage, 1 ms sync function, ${what}`,
    floor: 'floor1ms',
    isApart,
    sync: (round) => trackers[key].trackStage(runOf(`1ms-${key}`, round), itemOf(), 'work', oneMs),
  })),
  {
    // The same item and stage again (a retry): the file already there is read and parsed first,
    // to check it holds the same key before it is replaced.
    id: 'retry-fileTracker',
    label: 'trackStage, trivial sync, persist: true, same item and stage again (a retry)',
    floor: 'floorTrivial',
    isApart: true,
    sync: (round) =>
      trackers.fileTracker.trackStage(runOf('retry', round), 'item', 'retry', trivial),
  },
]

const samples = Object.fromEntries(CASES.map((c) => [c.id, new Float64Array(PER_ROUND * ROUNDS)]))
/**
 * One round: BLOCK stages of each of `cases` in turn, so a spell of slow fsyncs hits every case
 * alike. (Turns of one stage each put every in-memory case right after a file write, with the
 * caches and the CPU's state that write leaves: that added ~20 µs to whichever case came next.)
 */
async function measureRound(round, cases) {
  const end = (round + 1) * PER_ROUND
  for (let first = round * PER_ROUND; first < end; first += BLOCK) {
    for (const c of cases) {
      const out = samples[c.id]
      for (let at = first; at < Math.min(first + BLOCK, end); at++) {
        if (c.sync) {
          const start = performance.now()
          sink ^= c.sync(round) | 0
          out[at] = performance.now() - start
        } else {
          const start = performance.now()
          sink ^= (await c.async(round)) | 0
          out[at] = performance.now() - start
        }
      }
    }
  }
}
// warm-up: 50 stages of each case, not kept
for (const c of CASES) {
  for (let i = 0; i < 50; i++) {
    if (c.sync) sink ^= c.sync('warm') | 0
    else sink ^= (await c.async('warm')) | 0
  }
}
// The writes without fsync are measured apart, after the others: their metadata waits in the
// file system's journal and the next fsync, whoever calls it, pays for writing it.
const together = CASES.filter((c) => !c.isApart)
const apart = CASES.filter((c) => c.isApart)
for (let round = 0; round < ROUNDS; round++) {
  gc()
  await measureRound(round, together)
  process.stderr.write(`stage costs: round ${round + 1}/${ROUNDS}\n`)
}
for (let round = 0; round < ROUNDS; round++) await measureRound(round, apart)

const quantile = (sorted, q) => {
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo])
}
const summarize = (values) => {
  const s = Float64Array.from(values).sort()
  return { median: quantile(s, 0.5), p95: quantile(s, 0.95), max: s[s.length - 1] }
}
const costs = CASES.map((c) => ({
  id: c.id,
  label: c.label,
  floor: c.floor,
  ...summarize(samples[c.id]),
}))
const byId = Object.fromEntries(costs.map((c) => [c.id, c]))
for (const c of costs) {
  c.addedMedianUs = c.floor ? (c.median - byId[c.floor].median) * 1000 : null
  c.addedP95Us = c.floor ? (c.p95 - byId[c.floor].p95) * 1000 : null
}
const stageTarget = byId['sync1ms-fileTracker']
const durableTarget = byId['sync1ms-fileDurable']
const verdict = (holds) => (holds ? 'met' : 'not met')

// ---- 2. statistics of a 10,000-metric run ------------------------------------------------------

const SERVICES_OF = { parsing: 'vision', extraction: 'llm', enrichment: 'crm', output: null }
const MEDIAN_MS = { parsing: 40, extraction: 1800, enrichment: 120, output: 15 }
/** Writes the run through trackStage with an injected clock; returns ms per stage (wall). */
async function writeRun(persist, dir) {
  let clockMs = 0
  const stages = new StageTracker({
    outputDir: join(root, dir),
    persist,
    tracker: newTracker(),
    logger: silent,
    clock: () => clockMs,
    thresholds: { extraction: 2500, enrichment: { warnMs: 200, criticalMs: 1000 }, total: 3000 },
  })
  const r = makeRandom(5)
  const runId = '2026-11-24T10:00:00'
  const perStage = new Float64Array(RUN_ITEMS * 4)
  const started = performance.now()
  let k = 0
  for (let item = 0; item < RUN_ITEMS; item++) {
    const itemId = `msg_${String(item).padStart(5, '0')}`
    clockMs += 1 + 20 * r.uniform()
    for (const stage of Object.keys(MEDIAN_MS)) {
      const t0 = performance.now()
      try {
        stages.trackStage(runId, itemId, stage, (ctx) => {
          clockMs += MEDIAN_MS[stage] * Math.exp(0.5 * r.normal())
          const service = SERVICES_OF[stage]
          if (service !== null) {
            const calls = stage === 'extraction' && r.uniform() < 0.2 ? 2 : 1
            for (let c = 0; c < calls; c++) {
              ctx.recordApiCall(service, {
                tokens:
                  service === 'crm'
                    ? undefined
                    : {
                        input: 500 + Math.floor(2000 * r.uniform()),
                        output: 50 + Math.floor(300 * r.uniform()),
                      },
                durationMs: MEDIAN_MS[stage] * 0.8 * Math.exp(0.3 * r.normal()),
              })
            }
          }
          if (stage === 'parsing') ctx.addItems(1 + Math.floor(10 * r.uniform()))
          if (stage === 'extraction' && r.uniform() < 0.03) throw new Error('rate limited (429)')
          return 1
        })
      } catch {
        // a failed stage is part of the run
      }
      perStage[k++] = performance.now() - t0
    }
  }
  const totalMs = performance.now() - started
  return { stages, runId, totalMs, perStage }
}

async function reads(stages, runId, csvPath) {
  const calls = {
    getRunMetrics: () => stages.getRunMetrics(runId).length,
    getStageStatistics: () => stages.getStageStatistics(runId, 'extraction').itemCount,
    getRunSummary: () => stages.getRunSummary(runId).metricCount,
    analyzeRun: () => stages.analyzeRun(runId).recommendations.length,
    exportMetricsCsv: () => stages.exportMetricsCsv(runId, csvPath).rowCount,
  }
  const times = Object.fromEntries(Object.keys(calls).map((name) => [name, []]))
  for (let round = 0; round < READS; round++) {
    for (const [name, call] of Object.entries(calls)) {
      gc()
      const start = performance.now()
      sink ^= call() | 0
      times[name].push(performance.now() - start)
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, xs]) => [name, { ...summarize(xs), raw: xs }]),
  )
}

process.stderr.write(`writing a run of ${RUN_ITEMS * 4} stage metrics to files...\n`)
const onDisk = await writeRun(true, 'run-files')
const runFolder = join(root, 'run-files', 'metrics', onDisk.runId)
const runBytes = statSync(join(runFolder, 'msg_00000_extraction.json')).size
process.stderr.write('writing the same run in memory...\n')
const inMemory = await writeRun(false, 'run-memory')
process.stderr.write('reading...\n')
const fileReads = await reads(onDisk.stages, onDisk.runId, join(root, 'files.csv'))
const memoryReads = await reads(inMemory.stages, inMemory.runId, join(root, 'memory.csv'))
const csvBytes = statSync(join(root, 'files.csv')).size
const firstAndLast = (perStage) => ({
  first1000: summarize(perStage.subarray(0, 1000)),
  last1000: summarize(perStage.subarray(perStage.length - 1000)),
})
const writes = {
  files: { totalMs: onDisk.totalMs, ...firstAndLast(onDisk.perStage) },
  memory: { totalMs: inMemory.totalMs, ...firstAndLast(inMemory.perStage) },
}

function fileSystemOf(path) {
  try {
    let best = { mount: '', type: 'unknown' }
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ')
      if (mount && path.startsWith(mount) && mount.length > best.mount.length)
        best = { mount, type }
    }
    return best.type
  } catch {
    return 'unknown'
  }
}
const fileSystem = fileSystemOf(root)
rmSync(root, { recursive: true, force: true })
if (sink === 0.5) console.log('unreachable') // keeps the results alive

// ---- results -----------------------------------------------------------------------------------

const us = (ms) => (ms * 1000).toFixed(ms < 0.01 ? 2 : 1)
const msf = (ms) => (ms < 10 ? ms.toFixed(1) : Math.round(ms).toString())
const READ_LABELS = {
  getRunMetrics: '`getRunMetrics(run)` (reading alone)',
  getStageStatistics: "`getStageStatistics(run, 'extraction')`",
  getRunSummary: '`getRunSummary(run)`',
  analyzeRun: '`analyzeRun(run)`',
  exportMetricsCsv: '`exportMetricsCsv(run, path)`',
}
const readsHold = Object.keys(READ_LABELS).every((name) => fileReads[name].median < 1000)
const metricCount = RUN_ITEMS * 4
writeResult(
  'stages',
  {
    stagesPerCase: PER_ROUND * ROUNDS,
    rounds: ROUNDS,
    fileSystem,
    costs,
    stageTarget: {
      limitUs: 1000,
      holdsAtMedian: stageTarget.addedMedianUs < 1000,
      holdsAtP95: stageTarget.addedP95Us < 1000,
      durableHoldsAtMedian: durableTarget.addedMedianUs < 1000,
    },
    run: { items: RUN_ITEMS, metrics: metricCount, bytesPerFile: runBytes, csvBytes, writes },
    reads: { files: fileReads, memory: memoryReads, limitMs: 1000, holds: readsHold },
  },
  [
    `Cost per stage: ${PER_ROUND * ROUNDS} stages per case, in ${ROUNDS} rounds, the cases taking ` +
      `turns by ${BLOCK} stages (the writes without fsync, perfwatch's default, measured after the others); files on ${fileSystem} (${tmpdir()}). Times of one stage, µs; "added" is the ` +
      'case minus its floor, at the median and at p95.',
    '',
    '| case | median µs | p95 µs | added, median µs | added, p95 µs |',
    '| --- | --- | --- | --- | --- |',
    ...costs.map(
      (c) =>
        `| ${c.label} | ${us(c.median)} | ${us(c.p95)} | ${c.addedMedianUs === null ? '-' : c.addedMedianUs.toFixed(1)} | ${c.addedP95Us === null ? '-' : c.addedP95Us.toFixed(1)} |`,
    ),
    '',
    `Where a persisted stage's time goes (medians): the same write by hand (temp file, fsync, ` +
      `rename, fsync of the folder) takes ${us(byId.floorAtomic.median)} µs, ` +
      `${us(byId.floorRename.median)} µs without the two fsyncs; perfwatch's own work (persist: ` +
      `false) is ${byId['sync-memoryTracker'].addedMedianUs.toFixed(1)} µs with a tracker, ` +
      `${byId['sync-memoryNoTracker'].addedMedianUs.toFixed(1)} µs without.`,
    '',
    `Target under 1 ms per stage including its file (a 1 ms stage, persist: true, default ` +
      `tracker, added): ${stageTarget.addedMedianUs.toFixed(0)} µs at the median ` +
      `(${verdict(stageTarget.addedMedianUs < 1000)}), ${stageTarget.addedP95Us.toFixed(0)} µs at ` +
      `p95 (${verdict(stageTarget.addedP95Us < 1000)}). With durable: true (two fsyncs more): ` +
      `${durableTarget.addedMedianUs.toFixed(0)} µs at the median, ` +
      `${durableTarget.addedP95Us.toFixed(0)} µs at p95.`,
    '',
    `A run of ${metricCount.toLocaleString('en')} stage metrics (${RUN_ITEMS.toLocaleString('en')} ` +
      `items × 4 stages, 3 services, ~3 % failed extractions; ${runBytes} bytes per metric file, ` +
      `CSV ${(csvBytes / 1e6).toFixed(1)} MB). Written once: ${(writes.files.totalMs / 1000).toFixed(1)} s ` +
      `with files (first 1,000 stages ${us(writes.files.first1000.median)} µs each at the median, ` +
      `last 1,000 ${us(writes.files.last1000.median)} µs), ${(writes.memory.totalMs / 1000).toFixed(1)} s ` +
      `in memory (first 1,000 ${us(writes.memory.first1000.median)} µs, last 1,000 ` +
      `${us(writes.memory.last1000.median)} µs). Then each call ${READS} times: median (max), ms.`,
    '',
    '| call | persist: true (files) | persist: false (memory) |',
    '| --- | --- | --- |',
    ...Object.entries(READ_LABELS).map(
      ([name, label]) =>
        `| ${label} | ${msf(fileReads[name].median)} (${msf(fileReads[name].max)}) | ${msf(memoryReads[name].median)} (${msf(memoryReads[name].max)}) |`,
    ),
    '',
    `Target under 1 s per call on ${metricCount.toLocaleString('en')} metrics, from files: ` +
      `${verdict(readsHold)}.`,
  ].join('\n'),
)
