/**
 * The health of a web service as one score and a letter grade, and each route's severity, pure:
 * figures in, verdicts out. The history store and the dashboard (docs/http.md) call these; the
 * formula is the one of the system perfwatch descends from, with its bands made explicit.
 */

/** What the score is computed from, over one window of traffic. */
export interface HealthInput {
  /** Average response time, ms. */
  averageMs: number
  /** Share of requests served from a cache, 0-1; null when no request said either way. */
  cacheHitRate: number | null
  /** Share of requests that failed (thrown, or status >= 500), 0-1. */
  errorRate: number
}

/** A letter grade, from `A+` (95 and more) to `F` (below 60). */
export type Grade = 'A+' | 'A' | 'B+' | 'B' | 'C+' | 'C' | 'D' | 'F'

/** The score, its grade, and the three parts it is made of (each 0-100). */
export interface HealthScore {
  score: number
  grade: Grade
  latencyScore: number
  /** Null when there was no cache information: its weight then goes to the other two. */
  cacheScore: number | null
  errorScore: number
  /** The weights used, summing to 1. */
  weights: { latency: number; cache: number; error: number }
}

/** The weights of the three parts. */
export const HEALTH_WEIGHTS = { latency: 0.4, cache: 0.3, error: 0.3 } as const

/** Lowest score of each grade, best first; below the last, `F`. */
export const GRADE_FLOORS: ReadonlyArray<readonly [Grade, number]> = [
  ['A+', 95],
  ['A', 90],
  ['B+', 85],
  ['B', 80],
  ['C+', 75],
  ['C', 70],
  ['D', 60],
]

/**
 * The latency part, 0-100, of an average response time in ms: 100 below 100 ms; from 100 down
 * to 70 linearly up to 500 ms; from 70 down to 30 linearly up to 1 s; above, `30 · 1000 / ms`,
 * diminishing towards 0 (15 at 2 s, 3 at 10 s). Continuous at every edge.
 */
export function latencyScore(averageMs: number): number {
  // Stryker disable next-line EqualityOperator: continuous: both formulas give 100 at 100 ms
  if (averageMs <= 100) return 100
  // Stryker disable next-line EqualityOperator: continuous: both give 70 at 500 ms
  if (averageMs <= 500) return 100 - ((averageMs - 100) / 400) * 30
  // Stryker disable next-line EqualityOperator: continuous: both give 30 at 1 s
  if (averageMs <= 1000) return 70 - ((averageMs - 500) / 500) * 40
  return (30 * 1000) / averageMs
}

/** The grade of a score: `A+` from 95, `A` from 90, ... `D` from 60, else `F`. */
export function gradeOf(score: number): Grade {
  for (const [grade, floor] of GRADE_FLOORS) if (score >= floor) return grade
  return 'F'
}

/**
 * The health score: latency × 40 % + cache × 30 % + errors × 30 %, where the cache part is the
 * hit rate in % and the error part 100 minus the error rate in %. Without cache information
 * (`cacheHitRate: null`: no route says whether it hit a cache) the cache's 30 % is shared by the
 * other two in proportion (4/7 and 3/7), so a service without a cache is not graded down for it.
 *
 * Example: 300 ms average, 80 % hits, 2 % errors: latency 85, cache 80, errors 98;
 * 0.4 · 85 + 0.3 · 80 + 0.3 · 98 = 87.4, grade B+.
 */
export function healthScore(input: HealthInput): HealthScore {
  const latency = latencyScore(input.averageMs)
  const error = Math.max(0, 100 - input.errorRate * 100)
  const cache = input.cacheHitRate === null ? null : input.cacheHitRate * 100
  const weights =
    cache === null
      ? {
          latency: HEALTH_WEIGHTS.latency / (HEALTH_WEIGHTS.latency + HEALTH_WEIGHTS.error),
          cache: 0,
          error: HEALTH_WEIGHTS.error / (HEALTH_WEIGHTS.latency + HEALTH_WEIGHTS.error),
        }
      : { ...HEALTH_WEIGHTS }
  const score = weights.latency * latency + weights.cache * (cache ?? 0) + weights.error * error
  return {
    score,
    grade: gradeOf(score),
    latencyScore: latency,
    cacheScore: cache,
    errorScore: error,
    weights,
  }
}

/** How slow a route is, by its P95. */
export type Severity = 'good' | 'warning' | 'slow' | 'critical'

/** Where the severities start, ms: `good` below `warningMs`, `critical` above `criticalMs`. */
export interface SeverityBands {
  /** @default 100 */
  warningMs: number
  /** @default 500 */
  slowMs: number
  /** @default 1000 */
  criticalMs: number
}

export const DEFAULT_SEVERITY_BANDS: SeverityBands = {
  warningMs: 100,
  slowMs: 500,
  criticalMs: 1000,
}

/**
 * The severity of a P95 in ms: `good` below 100, `warning` from 100 to below 500, `slow` from 500
 * to 1,000 included, `critical` above 1,000 (the bands are configurable).
 */
export function severityOf(p95Ms: number, bands: SeverityBands = DEFAULT_SEVERITY_BANDS): Severity {
  if (p95Ms < bands.warningMs) return 'good'
  if (p95Ms < bands.slowMs) return 'warning'
  if (p95Ms <= bands.criticalMs) return 'slow'
  return 'critical'
}
