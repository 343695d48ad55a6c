// Baseline cost: the extra time of the call that crosses baselineSamples (and, by default, the
// call that matures the baseline at 1000 samples), against an ordinary call, each timed on its
// own; and the deferred work (filling the t-digest) that runs after it. Writes
// docs/results/baseline.{json,md}.
import { pino } from 'pino'
import { Baseline, PerformanceTracker } from '../../dist/index.js'
import { writeResult } from './report.mjs'
import { makeRandom } from './sim.mjs'

const TRIALS = 300
const random = makeRandom(9)
const draw = () => 10 * Math.exp(0.5 * random.normal())
// A real pino destination: the establishing call logs one info line, as in production.
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }))
const quantile = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]
const us = (ms) => ms * 1000

function crossing(baselineSamples, detectionSamples) {
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger,
    minLearningMs: 0,
    baselineSamples,
    detectionSamples,
  })
  const crossings = { establish: [], mature: [], ordinary: [] }
  for (let t = 0; t < TRIALS; t++) {
    const name = `op${t}`
    for (let i = 1; i <= Math.max(baselineSamples, detectionSamples); i++) {
      const value = draw()
      const start = performance.now()
      tracker.record(name, value)
      const elapsed = performance.now() - start
      if (i === baselineSamples) crossings.establish.push(elapsed)
      else if (i === detectionSamples) crossings.mature.push(elapsed)
      else if (i === baselineSamples - 1) crossings.ordinary.push(elapsed)
    }
  }
  const summary = (xs) =>
    xs.length ? { medianUs: us(quantile(xs, 0.5)), p95Us: us(quantile(xs, 0.95)) } : null
  return {
    baselineSamples,
    detectionSamples,
    ordinary: summary(crossings.ordinary),
    establish: summary(crossings.establish),
    mature: summary(crossings.mature),
  }
}

function deferred(count) {
  const times = []
  for (let t = 0; t < TRIALS; t++) {
    const samples = Float64Array.from({ length: count }, draw)
    const baseline = Baseline.fromSamples('op', samples)
    const start = performance.now()
    baseline.fillDigest()
    times.push(performance.now() - start)
  }
  return { samples: count, medianUs: us(quantile(times, 0.5)), p95Us: us(quantile(times, 0.95)) }
}

// Warm up the JIT on the same paths first, then measure.
crossing(100, 1000)
const result = {
  defaults: crossing(100, 1000),
  at1000: crossing(1000, 1000),
  digest100: deferred(100),
  digest1000: deferred(1000),
}
const f = (x) => (x === null || x === undefined ? '-' : x.toFixed(1))
const row = (label, r) =>
  `| ${label} | ${f(r.ordinary?.medianUs)} | ${f(r.establish?.medianUs)} (p95 ${f(r.establish?.p95Us)}) | ${r.mature ? `${f(r.mature.medianUs)} (p95 ${f(r.mature.p95Us)})` : '-'} |`
const md = [
  `Each call timed on its own with performance.now() (about 0.04 µs of it is the clock), ${TRIALS} operations each; µs, median (p95).`,
  '',
  '| setting | an ordinary call | the call that establishes the baseline | the call that matures it (detector starts) |',
  '| --- | --- | --- | --- |',
  row('baselineSamples 100 (default; matures at detectionSamples 1000)', result.defaults),
  row('baselineSamples 1000 = detectionSamples', result.at1000),
  '',
  'Target: the establishing call adds at most 100 µs. It sorts and summarises the samples (exact quantiles), builds the detector and logs one line; the t-digest is filled afterwards, in `setImmediate`:',
  '',
  '| deferred work: filling the digest | median µs | p95 µs |',
  '| --- | --- | --- |',
  `| 100 samples | ${f(result.digest100.medianUs)} | ${f(result.digest100.p95Us)} |`,
  `| 1,000 samples | ${f(result.digest1000.medianUs)} | ${f(result.digest1000.p95Us)} |`,
]
writeResult('baseline', result, md.join('\n'))
