// Memory per operation: heap plus external bytes (typed arrays live outside the heap) after 1000
// samples per operation with a mature baseline and its digest, default options (maxOperations
// raised to hold them all), in this fresh process run with --expose-gc. Peers for scale:
// prom-client Summary (one label value per operation) and a bare tdigest TDigest, each with
// 1000 values. Also the heap growth for 10^7 startOperation calls never ended (bounded by
// maxOpenTimers). Writes docs/results/memory.{json,md}.

import { pino } from 'pino'
import client from 'prom-client'
import tdigest from 'tdigest'
import { PerformanceTracker } from '../../dist/index.js'
import { writeResult } from './report.mjs'
import { makeRandom } from './sim.mjs'

if (typeof gc !== 'function') throw new Error('run with node --expose-gc')
const settle = () => new Promise((resolve) => setImmediate(resolve))
async function used() {
  await settle()
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}
const random = makeRandom(5)
const samples = Float64Array.from({ length: 1000 }, () => 10 * Math.exp(0.5 * random.normal()))

async function perfwatch(operations) {
  const names = Array.from({ length: operations }, (_, i) => `service.method${i}`)
  const logger = pino({ level: 'silent' })
  const before = await used()
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger,
    maxOperations: operations,
    minLearningMs: 0,
  })
  for (const name of names) for (let i = 0; i < 1000; i++) tracker.record(name, samples[i])
  await settle() // digests are filled after the call that builds the baseline
  const after = await used()
  const stats = tracker.getOperationStats(names[0])
  if (stats.state !== 'ok' || stats.baseline.sampleCount !== 1000)
    throw new Error('no mature baseline')
  return {
    operations,
    bytes: after - before,
    perOperation: (after - before) / operations,
    keep: tracker,
  }
}

/** Heap growth for `starts` timers never ended, past the table's full size (default options). */
async function unendedTimers(starts) {
  const logger = pino({ level: 'silent' })
  const tracker = new PerformanceTracker({ storagePath: null, logger, minLearningMs: 0 })
  const before = await used()
  for (let i = 0; i < starts; i++) tracker.startOperation('unended')
  const after = await used()
  if (tracker.getOperationStats('unended').totalCount !== 0) throw new Error('a timer was ended')
  return { starts, bytes: after - before }
}

async function peer(count, build) {
  const before = await used()
  const kept = []
  for (let k = 0; k < count; k++) kept.push(build(k))
  const after = await used()
  return { perOperation: (after - before) / count, kept: kept.length }
}

const unended = await unendedTimers(10_000_000)
const small = await perfwatch(1000)
const large = await perfwatch(10_000)
const summary = new client.Summary({
  name: 'm',
  help: 'm',
  labelNames: ['operation'],
  registers: [],
})
const promSummary = await peer(1000, (k) => {
  for (let i = 0; i < 1000; i++) summary.observe({ operation: `op${k}` }, samples[i])
  return k
})
const digest = await peer(1000, () => {
  const d = new tdigest.TDigest()
  for (let i = 0; i < 1000; i++) d.push(samples[i])
  return d
})

const kb = (bytes) => (bytes / 1024).toFixed(1)
const md = [
  '| what | bytes per operation | total |',
  '| --- | --- | --- |',
  `| perfwatch, 1,000 operations × 1,000 samples, mature baseline | ${kb(small.perOperation)} KB | ${kb(small.bytes / 1024)} MB |`,
  `| perfwatch, 10,000 operations × 1,000 samples, mature baseline | **${kb(large.perOperation)} KB** | **${kb(large.bytes / 1024)} MB** |`,
  `| prom-client Summary, one label value × 1,000 observations | ${kb(promSummary.perOperation)} KB | |`,
  `| tdigest TDigest (default delta) × 1,000 values | ${kb(digest.perOperation)} KB | |`,
  `| perfwatch, 10,000,000 startOperation calls never ended (default maxOpenTimers) | | **${kb(unended.bytes / 1024)} MB** |`,
  '',
  'Target: at most 12 KB per operation with a baseline at windowSize 1000. Of that, the window is 8,000 bytes (one Float64Array; failures are stored negated); the baseline keeps its t-digest as float32 centroid pairs (about 240 for 1,000 samples).',
  '',
  'Target: at most a few MB for 10^7 timers never ended: the table holds at most maxOpenTimers.',
]
writeResult(
  'memory',
  {
    perfwatch1000: {
      operations: small.operations,
      bytes: small.bytes,
      perOperation: small.perOperation,
    },
    perfwatch10000: {
      operations: large.operations,
      bytes: large.bytes,
      perOperation: large.perOperation,
    },
    unendedTimers: unended,
    promSummaryPerOperation: promSummary.perOperation,
    tdigestPerOperation: digest.perOperation,
  },
  md.join('\n'),
)
