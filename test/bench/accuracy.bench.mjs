// Baseline accuracy: quantiles against the exact R-7 quantiles of the samples, on 100,000
// seeded log-normal samples, on tie-heavy data, and after merging the digests of several
// trackers' baselines (Baseline.merge; the tdigest package's compress() is random, so merges are
// repeated and the spread reported). Writes docs/results/accuracy.{json,md}.

import { pino } from 'pino'
import tdigest from 'tdigest'
import { Baseline, PerformanceTracker } from '../../dist/index.js'
import { writeResult } from './report.mjs'
import { makeRandom } from './sim.mjs'

const logger = pino({ level: 'silent' })
// R-7 (numpy's default), the definition perfwatch uses, written out here independently of it.
const exact = (sorted, p) => {
  const h = (sorted.length - 1) * p
  const i = Math.floor(h)
  const j = Math.min(i + 1, sorted.length - 1)
  return sorted[i] + (h - i) * (sorted[j] - sorted[i])
}
// Equal up to floating-point rounding (the two compute the same interpolation in other orders).
const same = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))
const QUANTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
]

function learn(values) {
  const n = values.length
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger,
    minLearningMs: 0,
    windowSize: n,
    baselineSamples: n,
    detectionSamples: Math.max(500, n),
  })
  for (const v of values) tracker.record('op', v)
  return tracker.getOperationStats('op').baseline
}

// 1. 100,000 log-normal samples through a tracker.
const random = makeRandom(2026)
const logNormal = Float64Array.from({ length: 100_000 }, () => 10 * Math.exp(0.5 * random.normal()))
const sorted = Float64Array.from(logNormal).sort()
const big = learn(logNormal)
const bigRows = QUANTILES.map(([key, p]) => ({ key, baseline: big[key], exact: exact(sorted, p) }))

// 2. Tie-heavy: 1000 calls of 5 ms and 10 of 100 ms.
const ties = Float64Array.from([...Array(1000).fill(5), ...Array(10).fill(100)])
const tied = learn(ties)
const continuous = new tdigest.TDigest()
continuous.push([...ties])
continuous.compress()
const tieRows = QUANTILES.map(([key, p]) => ({
  key,
  baseline: tied[key],
  exact: exact(Float64Array.from(ties).sort(), p),
  continuousDigest: continuous.percentile(p),
}))

// 3. Ten trackers' baselines of 10,000 samples each (the same 100,000 samples), merged.
const parts = []
for (let t = 0; t < 10; t++) {
  parts.push(Baseline.fromSamples('op', logNormal.slice(t * 10_000, (t + 1) * 10_000)))
}
const MERGES = 20
const errors = Object.fromEntries(QUANTILES.map(([key]) => [key, []]))
for (let m = 0; m < MERGES; m++) {
  const merged = Baseline.merge(parts)
  for (const [key, p] of QUANTILES) errors[key].push(Math.abs(merged[key] / exact(sorted, p) - 1))
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return { median: s[Math.floor(s.length / 2)], max: s[s.length - 1] }
}
const mergeRows = QUANTILES.map(([key]) => ({ key, ...stats(errors[key]) }))

const pct = (x) => `${(100 * x).toFixed(3)}%`
const md = [
  '| data | quantile | baseline | exact quantile (R-7) | difference |',
  '| --- | --- | --- | --- | --- |',
  ...bigRows.map(
    (r) =>
      `| 100,000 log-normal samples (one tracker) | ${r.key} | ${r.baseline.toFixed(4)} | ${r.exact.toFixed(4)} | ${same(r.baseline, r.exact) ? 'none (equal)' : pct(r.baseline / r.exact - 1)} |`,
  ),
  ...tieRows.map(
    (r) =>
      `| 1,000 × 5 ms and 10 × 100 ms | ${r.key} | ${r.baseline} | ${r.exact} | ${same(r.baseline, r.exact) ? 'none (equal)' : 'differs'}; a continuous tdigest says ${r.continuousDigest.toFixed(1)} |`,
  ),
  '',
  `Merging the baselines of 10 trackers (10,000 samples each, the same 100,000 samples) with \`Baseline.merge\`, ${MERGES} merges: relative error against the exact R-7 quantiles of all 100,000.`,
  '',
  '| quantile | median error | largest error | target |',
  '| --- | --- | --- | --- |',
  ...mergeRows.map(
    (r) => `| ${r.key} | ${pct(r.median)} | ${pct(r.max)} | ${r.key === 'p99' ? '≤ 0.5%' : ''} |`,
  ),
]
writeResult('accuracy', { bigRows, tieRows, mergeRows, merges: MERGES }, md.join('\n'))
