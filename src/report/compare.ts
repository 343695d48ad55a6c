/**
 * Comparing two sets of baselines operation by operation, pure: baselines in, verdicts out. The
 * `perfwatch compare` command feeds it two baseline files (or two pipeline runs) and gates a build
 * on `isRegression`.
 *
 * An operation is `slower` only when both hold: the two distributions differ significantly (a
 * two-sample Kolmogorov-Smirnov test on the digests, so noise between two healthy runs does not
 * fail a build) and the median got slower by more than `maxSlowdown` (so a significant but small
 * change does not either). The median, because it is what most calls take and moves little with
 * a few slow outliers; p95 and p99 are reported beside it for people to read.
 */
import type { Baseline } from '../core/baseline.js'
import { ksDistance } from '../core/digest.js'
import { kolmogorovSurvival } from '../core/stats.js'

/** What happened to one operation between `before` and `after`. */
export type Verdict = 'slower' | 'faster' | 'unchanged' | 'added' | 'removed'

/** The JSON document `perfwatch compare --json` prints: `format` and `version` name its shape. */
export const COMPARE_FORMAT = 'perfwatch.compare'
export const COMPARE_VERSION = 1

/** Default `maxSlowdown`: the median may be up to 10 % slower before an operation is `slower`. */
export const DEFAULT_MAX_SLOWDOWN = 0.1
/** Default `alpha`: a difference is significant when the test's p-value is below 1 %. */
export const DEFAULT_ALPHA = 0.01

/** Options of `compareBaselines`. */
export interface CompareOptions {
  /** Largest relative slowdown of the median that is not a regression (0.1 = 10 %). @default 0.1 */
  maxSlowdown?: number
  /** Significance level of the Kolmogorov-Smirnov test. @default 0.01 */
  alpha?: number
}

/** The figures of one side of a comparison, in ms. */
export interface SideFigures {
  p50: number
  p95: number
  p99: number
  sampleCount: number
}

/** The two-sample Kolmogorov-Smirnov test of one operation's two digests. */
export interface KsTest {
  /** Largest distance between the two CDFs, 0-1. */
  distance: number
  /** `n1 n2 / (n1 + n2)`: the sample count the asymptotic distribution is scaled by. */
  effectiveCount: number
  /** Probability of a distance at least this large if both came from one distribution. */
  pValue: number
}

/** One operation of a comparison. */
export interface OperationComparison {
  operation: string
  verdict: Verdict
  /** Null for an added operation. */
  before: SideFigures | null
  /** Null for a removed operation. */
  after: SideFigures | null
  /**
   * Relative change `after / before - 1` of each quantile (0.25 = 25 % slower); null for an
   * added or removed operation, and a quantile's change is null when its `before` is 0.
   */
  change: { p50: number | null; p95: number | null; p99: number | null } | null
  /** Null for an added or removed operation. */
  test: KsTest | null
}

/** What `compareBaselines` returns. */
export interface Comparison {
  maxSlowdown: number
  alpha: number
  /** Sorted by name. */
  operations: OperationComparison[]
  /** Operations per verdict. */
  counts: Record<Verdict, number>
  /** True when at least one operation is `slower`: the build should fail. */
  isRegression: boolean
}

/**
 * Compares two sets of baselines by operation name (`baseline.operation`; later ones of the same
 * name replace earlier ones).
 */
export function compareBaselines(
  before: Iterable<Baseline>,
  after: Iterable<Baseline>,
  options: CompareOptions = {},
): Comparison {
  const maxSlowdown = options.maxSlowdown ?? DEFAULT_MAX_SLOWDOWN
  const alpha = options.alpha ?? DEFAULT_ALPHA
  const beforeByName = byName(before)
  const afterByName = byName(after)
  const names = [...new Set([...beforeByName.keys(), ...afterByName.keys()])].sort()
  const operations = names.map((name) =>
    compareOperation(name, beforeByName.get(name), afterByName.get(name), maxSlowdown, alpha),
  )
  const counts: Record<Verdict, number> = {
    slower: 0,
    faster: 0,
    unchanged: 0,
    added: 0,
    removed: 0,
  }
  for (const operation of operations) counts[operation.verdict]++
  return { maxSlowdown, alpha, operations, counts, isRegression: counts.slower > 0 }
}

/**
 * The two-sample Kolmogorov-Smirnov test on two baselines' digests: the distance of their
 * centroid CDFs, and its p-value from the asymptotic Kolmogorov distribution at
 * `sqrt(n1 n2 / (n1 + n2)) * distance`.
 */
export function ksTest(a: Baseline, b: Baseline): KsTest {
  const distance = ksDistance(a.centroidData(), b.centroidData())
  const effectiveCount = (a.sampleCount * b.sampleCount) / (a.sampleCount + b.sampleCount)
  return {
    distance,
    effectiveCount,
    pValue: kolmogorovSurvival(Math.sqrt(effectiveCount) * distance),
  }
}

function compareOperation(
  operation: string,
  before: Baseline | undefined,
  after: Baseline | undefined,
  maxSlowdown: number,
  alpha: number,
): OperationComparison {
  if (before === undefined || after === undefined) {
    return {
      operation,
      verdict: before === undefined ? 'added' : 'removed',
      before: figuresOf(before),
      after: figuresOf(after),
      change: null,
      test: null,
    }
  }
  const change = {
    p50: relativeChange(before.p50, after.p50),
    p95: relativeChange(before.p95, after.p95),
    p99: relativeChange(before.p99, after.p99),
  }
  const test = ksTest(before, after)
  return {
    operation,
    verdict: verdictOf(test.pValue < alpha, change.p50, maxSlowdown),
    before: figuresOf(before),
    after: figuresOf(after),
    change,
    test,
  }
}

/** A significant change of the median beyond the limit, either way; anything else is unchanged. */
function verdictOf(
  isSignificant: boolean,
  medianChange: number | null,
  maxSlowdown: number,
): Verdict {
  if (!isSignificant) return 'unchanged'
  // A median of 0 before (null change) that is not 0 after is slower by any measure.
  if (medianChange === null || medianChange > maxSlowdown) return 'slower'
  if (medianChange < -maxSlowdown) return 'faster'
  return 'unchanged'
}

function relativeChange(before: number, after: number): number | null {
  if (before === 0) return after === 0 ? 0 : null
  return after / before - 1
}

function figuresOf(baseline: Baseline | undefined): SideFigures | null {
  if (baseline === undefined) return null
  const { p50, p95, p99, sampleCount } = baseline
  return { p50, p95, p99, sampleCount }
}

function byName(baselines: Iterable<Baseline>): Map<string, Baseline> {
  const map = new Map<string, Baseline>()
  for (const baseline of baselines) map.set(baseline.operation, baseline)
  return map
}
