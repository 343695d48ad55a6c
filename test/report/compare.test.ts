import { describe, expect, it } from 'vitest'
import { kolmogorovSurvival } from '../../src/core/stats.js'
import { Baseline } from '../../src/index.js'
import {
  COMPARE_FORMAT,
  COMPARE_VERSION,
  compareBaselines,
  DEFAULT_ALPHA,
  DEFAULT_MAX_SLOWDOWN,
  ksTest,
} from '../../src/report/compare.js'
import { logNormal } from '../helpers/random.js'

/** 1001 evenly spread samples from `low` to `low + 1`: the median is exactly `low + 0.5`. */
function spread(operation: string, low: number, count = 1001): Baseline {
  const samples = Float64Array.from({ length: count }, (_, i) => low + i / (count - 1))
  return Baseline.fromSamples(operation, samples)
}

function constant(operation: string, value: number, count = 100): Baseline {
  return Baseline.fromSamples(operation, new Float64Array(count).fill(value))
}

function drawn(operation: string, seed: number, medianMs: number, count = 1000): Baseline {
  const next = logNormal(seed, medianMs, 0.3)
  return Baseline.fromSamples(operation, Float64Array.from({ length: count }, next))
}

describe('compareBaselines', () => {
  it('finds no change between a baseline and itself', () => {
    const before = spread('db.query', 3.5)
    const result = compareBaselines([before], [before])
    expect(result.operations).toEqual([
      {
        operation: 'db.query',
        verdict: 'unchanged',
        before: { p50: 4, p95: before.p95, p99: before.p99, sampleCount: 1001 },
        after: { p50: 4, p95: before.p95, p99: before.p99, sampleCount: 1001 },
        change: { p50: 0, p95: 0, p99: 0 },
        test: { distance: 0, effectiveCount: 500.5, pValue: 1 },
      },
    ])
    expect(result.isRegression).toBe(false)
    expect(result.counts).toEqual({ slower: 0, faster: 0, unchanged: 1, added: 0, removed: 0 })
    expect(result.maxSlowdown).toBe(DEFAULT_MAX_SLOWDOWN)
    expect(result.alpha).toBe(DEFAULT_ALPHA)
  })

  it('calls a 2x slower operation slower and the comparison a regression', () => {
    const result = compareBaselines([drawn('work', 1, 10)], [drawn('work', 2, 20)])
    const [work] = result.operations
    expect(work?.verdict).toBe('slower')
    expect(work?.change?.p50).toBeGreaterThan(0.8)
    expect(work?.test?.pValue).toBeLessThan(1e-10)
    expect(result.isRegression).toBe(true)
    expect(result.counts.slower).toBe(1)
  })

  it('finds two samples of one distribution unchanged', () => {
    const result = compareBaselines([drawn('work', 1, 10)], [drawn('work', 2, 10)])
    expect(result.operations[0]?.verdict).toBe('unchanged')
    expect(result.operations[0]?.test?.pValue).toBeGreaterThan(0.01)
    expect(result.isRegression).toBe(false)
  })

  it('calls a change of the median beyond the limit slower, and one at the limit unchanged', () => {
    // p50 4 -> 5: exactly +25 %
    const before = [spread('op', 3.5)]
    const after = [spread('op', 4.5)]
    expect(compareBaselines(before, after).operations[0]?.change?.p50).toBe(0.25)
    expect(compareBaselines(before, after, { maxSlowdown: 0.25 }).operations[0]?.verdict).toBe(
      'unchanged',
    )
    const slower = compareBaselines(before, after, { maxSlowdown: 0.2499 })
    expect(slower.operations[0]?.verdict).toBe('slower')
    expect(slower.maxSlowdown).toBe(0.2499)
    expect(slower.isRegression).toBe(true)
  })

  it('calls a significant speed-up beyond the limit faster, and one at the limit unchanged', () => {
    // p50 4 -> 2: exactly -50 %
    const before = [spread('op', 3.5)]
    const after = [spread('op', 1.5)]
    expect(compareBaselines(before, after).operations[0]?.change?.p50).toBe(-0.5)
    expect(compareBaselines(before, after, { maxSlowdown: 0.5 }).operations[0]?.verdict).toBe(
      'unchanged',
    )
    const faster = compareBaselines(before, after, { maxSlowdown: 0.49 })
    expect(faster.operations[0]?.verdict).toBe('faster')
    expect(faster.counts).toEqual({ slower: 0, faster: 1, unchanged: 0, added: 0, removed: 0 })
    expect(faster.isRegression).toBe(false)
  })

  it('keeps a large but not significant change unchanged: too few samples to tell', () => {
    // Two samples each, n_eff = 1. CDF points (1, 0.25), (2, 0.75) and (3, 0.25), (4, 0.75):
    // at x = 2, F1 = 0.75 and F2 = 0; at x = 3, F1 = 1 and F2 = 0.25, so D = 0.75 and p = 0.63
    const before = Baseline.fromSamples('op', Float64Array.of(1, 2))
    const after = Baseline.fromSamples('op', Float64Array.of(3, 4))
    const [op] = compareBaselines([before], [after]).operations
    expect(op?.change?.p50).toBe(3.5 / 1.5 - 1)
    expect(op?.test?.distance).toBe(0.75)
    expect(op?.test?.effectiveCount).toBe(1)
    expect(op?.test?.pValue).toBe(kolmogorovSurvival(0.75))
    expect(op?.test?.pValue).toBeCloseTo(0.627, 3)
    expect(op?.verdict).toBe('unchanged')
  })

  it('uses alpha as the significance level, strictly', () => {
    const before = [drawn('work', 3, 10, 200)]
    const after = [drawn('work', 4, 13, 200)]
    const pValue = compareBaselines(before, after).operations[0]?.test?.pValue as number
    expect(pValue).toBeGreaterThan(0)
    expect(compareBaselines(before, after, { alpha: pValue }).operations[0]?.verdict).toBe(
      'unchanged',
    )
    const result = compareBaselines(before, after, { alpha: pValue * 1.0001 })
    expect(result.operations[0]?.verdict).toBe('slower')
    expect(result.alpha).toBe(pValue * 1.0001)
  })

  it('reports added and removed operations without a test, sorted by name', () => {
    const kept = spread('b.kept', 1)
    const result = compareBaselines([spread('c.removed', 1), kept], [kept, spread('a.added', 2)])
    expect(result.operations.map((op) => [op.operation, op.verdict])).toEqual([
      ['a.added', 'added'],
      ['b.kept', 'unchanged'],
      ['c.removed', 'removed'],
    ])
    const [added, , removed] = result.operations
    expect(added).toMatchObject({ before: null, change: null, test: null })
    expect(added?.after).toEqual({ p50: 2.5, p95: 2.95, p99: 2.99, sampleCount: 1001 })
    expect(removed).toMatchObject({ after: null, change: null, test: null })
    expect(removed?.before?.p50).toBe(1.5)
    expect(result.counts).toEqual({ slower: 0, faster: 0, unchanged: 1, added: 1, removed: 1 })
    expect(result.isRegression).toBe(false)
  })

  it('takes the last baseline of a name when one side has several', () => {
    const result = compareBaselines([spread('op', 9), spread('op', 3.5)], [spread('op', 3.5)])
    expect(result.operations).toHaveLength(1)
    expect(result.operations[0]?.change?.p50).toBe(0)
  })

  it('gives no relative change from a median of 0, and calls it slower when significant', () => {
    const result = compareBaselines([constant('op', 0)], [constant('op', 1)])
    expect(result.operations[0]?.change).toEqual({ p50: null, p95: null, p99: null })
    expect(result.operations[0]?.verdict).toBe('slower')
    const same = compareBaselines([constant('op', 0)], [constant('op', 0)])
    expect(same.operations[0]?.change).toEqual({ p50: 0, p95: 0, p99: 0 })
    expect(same.operations[0]?.verdict).toBe('unchanged')
  })

  it('compares each quantile on its own', () => {
    // p50 4 -> 4, but a slower tail after: p95 and p99 change, the median does not
    const before = spread('op', 3.5)
    const samples = Float64Array.from({ length: 1001 }, (_, i) =>
      i < 900 ? 3.5 + i / 1000 : 3.5 + i / 500,
    )
    const after = Baseline.fromSamples('op', samples)
    const [op] = compareBaselines([before], [after]).operations
    expect(op?.change?.p50).toBe(0)
    expect(op?.change?.p95).toBeCloseTo(after.p95 / before.p95 - 1, 12)
    expect(op?.change?.p95).toBeGreaterThan(0.2)
    expect(op?.change?.p99).toBeCloseTo(after.p99 / before.p99 - 1, 12)
    expect(op?.verdict).toBe('unchanged')
  })

  it('names its JSON document', () => {
    expect(COMPARE_FORMAT).toBe('perfwatch.compare')
    expect(COMPARE_VERSION).toBe(1)
  })
})

describe('ksTest', () => {
  it('scales the distance by the effective count n1 n2 / (n1 + n2)', () => {
    const a = spread('op', 3.5, 101)
    const b = spread('op', 3.6, 301)
    const test = ksTest(a, b)
    expect(test.effectiveCount).toBe((101 * 301) / 402)
    expect(test.distance).toBeGreaterThan(0.05)
    expect(test.distance).toBeLessThan(0.15)
    expect(test.pValue).toBe(kolmogorovSurvival(Math.sqrt(test.effectiveCount) * test.distance))
  })
})
