/**
 * Pure statistics over numeric arrays. This is the one quantile function of the package:
 * baselines, window statistics and tests all use it.
 */

/** Numbers sortable in place: a typed array of the samples. */
export type Samples = Float64Array

/**
 * The quantile at `p` of ascending `sorted` values by linear interpolation between order
 * statistics: R-7 of Hyndman & Fan, numpy's default (`method='linear'`), R's `type = 7`, Excel's
 * PERCENTILE.INC. With n values x[0..n-1] and h = (n - 1) · p, it is
 * `x[floor(h)] + (h - floor(h)) · (x[floor(h) + 1] - x[floor(h)])`.
 *
 * - p is clamped to [0, 1]: p ≤ 0 gives the minimum, p ≥ 1 the maximum (exactly); NaN for a NaN
 *   p or no values; the value itself for one value.
 * - Ties stay exact: between two equal neighbours the result is that value (an infinite one
 *   too, not NaN), so on tie-heavy data a quantile is the tied duration.
 * - h within a few ulps of a whole number is taken as that number: (n - 1) · p in floating point
 *   can land just below the order statistic it means (3000 · 0.009 is 26.999999999999996), which
 *   would return a value a hair below a tied duration instead of the duration.
 * - The result never leaves [x[floor(h)], x[floor(h) + 1]], so it is non-decreasing in p.
 *
 * Examples: 1..50 gives p50 25.5 (h = 24.5), p95 47.55 (h = 46.55: 47 + 0.55 · 1) and p99 49.51
 * (h = 48.51). [1, 2, 3, 4, 100] gives p50 3 (h = 2), p75 4 (h = 3), p95 80.8 (h = 3.8:
 * 4 + 0.8 · 96; 80.79999999999998 in floating point, as numpy gives) and p99 96.16 (h = 3.96:
 * 4 + 0.96 · 96). 1000 values of 5 and 10 of 100 give p95 5 and p99 5: h = 958.55 and 998.91
 * both fall between two 5s (x[0..999] are 5, x[1000..1009] are 100).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length
  if (n === 0 || Number.isNaN(p)) return Number.NaN
  const last = n - 1
  let h = last * Math.min(1, Math.max(0, p))
  // (n - 1) · p is off by less than one ulp of h when p is a decimal such as 0.009.
  const whole = Math.round(h)
  // Stryker disable next-line EqualityOperator: |h - whole| is 4 ε h exactly only at h = 0 = whole
  if (Math.abs(h - whole) <= 4 * Number.EPSILON * h) h = whole
  const i = Math.floor(h)
  const lower = sorted[i] as number
  const fraction = h - i
  if (fraction === 0) return lower // x[h] itself; at p = 1 there is no x[h + 1]
  const upper = sorted[i + 1] as number
  // The formula gives a finite tie exactly too, but two infinite ones would give NaN (∞ - ∞).
  if (lower === upper) return lower
  // lower + fraction · gap is at least lower; rounding could take it a hair past upper.
  return Math.min(upper, lower + fraction * (upper - lower))
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

/**
 * The survival function of the Kolmogorov distribution, `P(K > lambda)`: the asymptotic p-value
 * of a Kolmogorov-Smirnov statistic scaled by the square root of the (effective) sample count,
 * scipy's `kstwobign.sf`. Two series of the same function, each where it converges in a few
 * terms (Numerical Recipes, 3rd ed., 6.14.12-13):
 *
 * - `lambda < 1`: `1 - (sqrt(2 pi) / lambda) sum_{k>=1} exp(-(2k - 1)^2 pi^2 / (8 lambda^2))`
 * - otherwise: `2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 lambda^2)`
 *
 * 1 for `lambda <= 0`, NaN for NaN. Examples (scipy 1.x): 0.5 → 0.9639452436648751, 1 →
 * 0.26999967167735456, 1.3581 → 0.0499996304316674 (the 5 % critical value), 2 →
 * 0.0006709252557796953.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return Number.isNaN(lambda) ? Number.NaN : 1
  let sum = 0
  if (lambda < 1) {
    const c = (Math.PI * Math.PI) / (8 * lambda * lambda)
    // k = 1, 2, 3: exp(-c), exp(-9c), exp(-25c); c > 1.23 here, so the 4th, exp(-49c), is below 1e-26
    for (let k = 1; k <= 3; k++) sum += Math.exp(-((2 * k - 1) ** 2) * c)
    return 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum
  }
  // k = 1..4: the 5th term is exp(-50) = 2e-22 at lambda = 1, below a double's precision of 0.27
  for (let k = 1; k <= 4; k++)
    sum += (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda)
  return 2 * sum
}
