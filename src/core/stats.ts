/**
 * Pure statistics over numeric arrays. This is the one quantile function of the package:
 * baselines, window statistics and tests all use it.
 */

/** Numbers sortable in place: a typed array of the samples. */
export type Samples = Float64Array

/**
 * The nearest-rank quantile of ascending `sorted` values: the smallest value with at least
 * `p` of the values at or below it, `sorted[ceil(p * n) - 1]`. It never interpolates, so it is
 * always an observed value: for [1, 2, 3, 4, 100], p50 is 3 and p75 is 4; for 1000 values of
 * 5 and 10 of 100, p95 and p99 are 5.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const rank = Math.min(n, Math.max(1, Math.ceil(p * n)))
  return sorted[rank - 1] as number
}

/** The arithmetic mean; NaN for no values (0 / 0). */
export function mean(values: ArrayLike<number>): number {
  const n = values.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += values[i] as number
  return sum / n
}

/**
 * Sample standard deviation (n - 1 denominator), computed in two passes around `mean` so it is
 * exact to floating point; 0 for fewer than two values.
 */
export function standardDeviation(values: ArrayLike<number>, valuesMean = mean(values)): number {
  const n = values.length
  if (n < 2) return 0
  let squares = 0
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - valuesMean
    squares += d * d
  }
  return Math.sqrt(squares / (n - 1))
}

/** The quantiles perfwatch reports everywhere (baselines, windows, events), in ms. */
export interface Quantiles {
  p50: number
  p75: number
  p95: number
  p99: number
}

/** The summary both baselines and window statistics report. */
export interface Summary extends Quantiles {
  mean: number
  stdDev: number
  min: number
  max: number
}

/** Sorts `values` in place (ascending) and summarises them. */
export function summarize(values: Samples): Summary {
  values.sort()
  const valuesMean = mean(values)
  return {
    mean: valuesMean,
    stdDev: standardDeviation(values, valuesMean),
    min: values.length > 0 ? (values[0] as number) : Number.NaN,
    max: values.length > 0 ? (values[values.length - 1] as number) : Number.NaN,
    p50: quantileSorted(values, 0.5),
    p75: quantileSorted(values, 0.75),
    p95: quantileSorted(values, 0.95),
    p99: quantileSorted(values, 0.99),
  }
}
