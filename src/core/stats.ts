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

/** A least-squares line through points (x, y), with the standard error of its slope. */
export interface LinearFit {
  slope: number
  intercept: number
  /** Standard error of `slope` (residuals over n - 2 degrees of freedom); NaN below 3 points. */
  slopeStandardError: number
}

/**
 * Ordinary least squares of `ys` on `xs` (same length): slope = Sxy / Sxx, intercept =
 * ȳ − slope · x̄, and the slope's standard error √(Σ residual² / (n − 2) / Sxx).
 * NaN slope and intercept with fewer than two points or all x equal (Sxx = 0).
 *
 * Example: (1, 2), (2, 4), (3, 5), (4, 4), (5, 5): x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6, slope 0.6,
 * intercept 2.2, residuals −0.8, 0.6, 1, −0.6, −0.2 (Σ² = 2.4), standard error √(0.8 / 10) ≈ 0.2828.
 */
export function linearFit(xs: ArrayLike<number>, ys: ArrayLike<number>): LinearFit {
  const n = xs.length
  const xMean = mean(xs)
  const yMean = mean(ys)
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - xMean
    sxx += dx * dx
    sxy += dx * (ys[i] as number) // Σ dx · ȳ is 0: no need to centre y too
  }
  const slope = sxy / sxx
  const intercept = yMean - slope * xMean
  let residuals = 0
  for (let i = 0; i < n; i++) {
    const r = (ys[i] as number) - intercept - slope * (xs[i] as number)
    residuals += r * r
  }
  const slopeStandardError = n > 2 ? Math.sqrt(residuals / (n - 2) / sxx) : Number.NaN
  return { slope, intercept, slopeStandardError }
}

/** The outcome of `mannWhitneyU`. */
export interface MannWhitneyResult {
  /** U of the first sample: the pairs (a, b) with a > b, ties counting one half. */
  u: number
  /** The normal approximation's z, tie-corrected, with a continuity correction of 0.5. */
  z: number
  /** Two-sided p-value of z; 1 when every value is tied. */
  pValue: number
}

/**
 * The Mann-Whitney U test (Wilcoxon rank-sum) of two independent samples, by the normal
 * approximation with tie correction and continuity correction, two-sided: what scipy's
 * `mannwhitneyu(a, b, method='asymptotic')` gives. Meant for samples of about 8 or more each.
 *
 * With n₁, n₂ values, midranks R over the pooled sample and tie groups of sizes t:
 * U₁ = R₁ − n₁(n₁ + 1)/2, μ = n₁n₂/2, σ² = n₁n₂/12 · ((n + 1) − Σ(t³ − t)/(n(n − 1))),
 * z = (|U₁ − μ| − 0.5) / σ signed as U₁ − μ, p = 2 · (1 − Φ(|z|)).
 *
 * Example: a = [1, 2, 3, 4, 5], b = [6, 7, 8, 9, 10]: U₁ = 0, μ = 12.5, σ² = 22.9167,
 * z = −12 / 4.7871 = −2.5067, p = 0.01219 (scipy: 0.012186).
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>): MannWhitneyResult {
  const n1 = a.length
  const n2 = b.length
  const n = n1 + n2
  const pooled = new Float64Array(n)
  pooled.set(a)
  pooled.set(b, n1)
  // Indexes into pooled, by value; an index below n1 is a value of a.
  const order = Uint32Array.from(pooled.keys()).sort(
    (x, y) => (pooled[x] as number) - (pooled[y] as number),
  )
  let rankSumA = 0
  let tieTerm = 0
  for (let start = 0; start < n; ) {
    let end = start + 1
    // Past the last index, order[end] is undefined and so is pooled[undefined]: never equal.
    while (pooled[order[end] as number] === pooled[order[start] as number]) end++
    const midrank = (start + end + 1) / 2 // ranks start + 1 … end, averaged
    for (let k = start; k < end; k++) if ((order[k] as number) < n1) rankSumA += midrank
    const t = end - start
    tieTerm += t * t * t - t
    start = end
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2
  const mu = (n1 * n2) / 2
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)))
  if (!(variance > 0)) return { u, z: 0, pValue: 1 }
  const distance = Math.max(0, Math.abs(u - mu) - 0.5)
  const z = (Math.sign(u - mu) * distance) / Math.sqrt(variance)
  return { u, z, pValue: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))) }
}

/**
 * Φ(x), the standard normal distribution function, through erf by Abramowitz and Stegun 7.1.26
 * (absolute error below 1.5e-7): Φ(1.96) = 0.9750, Φ(0) = 0.5.
 */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2)
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
  const erf = 1 - poly * Math.exp(-(x * x) / 2)
  return (1 + Math.sign(x) * erf) / 2 // erf is odd; Φ(0) is 1/2 exactly
}
