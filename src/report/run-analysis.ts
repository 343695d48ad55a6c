/**
 * Where a run's time went and what to do about it, pure: stage metrics and budgets in, bottlenecks
 * and recommendations out (`StageTracker.analyzeRun`). The rules are in docs/stages.md.
 */
import { formatLatencies, formatLatency, formatPercent } from '../core/format.js'
import type { StageMetric } from '../core/stage-metric.js'
import { quantileSorted } from '../core/stats.js'
import { groupByStage, stageStatistics, wallSpan } from './stage-statistics.js'

/** A budget in ms: a number is `warnMs`. */
export type Budget = number | { warnMs?: number; criticalMs?: number }

/**
 * Budgets per stage, in ms, and for a whole item under the key `total` (the sum of its stages'
 * durations): `{ extraction: 2000, output: { warnMs: 50, criticalMs: 200 }, total: 5000 }`.
 */
export type StageThresholds = Record<string, Budget>

/** The key of `StageThresholds` that budgets a whole item. */
export const TOTAL_KEY = 'total'

/** A stage whose share of the run's time is at least this is a bottleneck even within budget. */
export const DOMINANT_SHARE = 0.5
/** A stage that waits on external APIs for at least this share of its time is API-bound. */
export const API_BOUND_SHARE = 0.5
/** A stage whose items fail at least this often gets a recommendation (high from 20 %). */
export const ERROR_RATE_NOTABLE = 0.05
const ERROR_RATE_HIGH = 0.2

/** One stage in `analyzeRun`. Durations in ms. */
export interface StageAnalysis {
  count: number
  totalMs: number
  averageMs: number
  maxMs: number
  p95Ms: number
  /** The stage's `warnMs` budget, null without one. */
  budgetMs: number | null
  /** Items above the budget (`warnMs`), and above `criticalMs`. */
  violations: number
  criticalViolations: number
  /** Time spent above the budget, summed over items (0 without a budget). */
  excessMs: number
  /** `totalMs` over the summed time of every stage of the run, 0-1. */
  shareOfTotal: number
  errorRate: number
  /**
   * Summed response times of the external calls that gave `durationMs`, over `totalMs` (0-1);
   * null when no call gave one.
   */
  apiShare: number | null
}

/** Why a stage is a bottleneck: over its budget, or most of the run's time. */
export type BottleneckReason = 'over-budget' | 'dominant'

/** A stage that costs the run the most, by `impactMs`. */
export interface Bottleneck {
  stage: string
  reasons: BottleneckReason[]
  /**
   * The time it costs: time above its budget when it has one and items exceed it, else its time
   * above an even share of the run (`totalMs - runTotalMs / stageCount`). ms.
   */
  impactMs: number
  shareOfTotal: number
  p95Ms: number
  budgetMs: number | null
  violations: number
}

/** What a recommendation is about. */
export type RecommendationKind = 'optimize' | 'outliers' | 'external-api' | 'errors' | 'item-budget'

/** One concrete step, with the figures behind it. */
export interface Recommendation {
  priority: 'high' | 'medium' | 'low'
  kind: RecommendationKind
  /** The stage it is about; `total` for the whole-item budget. */
  stage: string
  message: string
  /** The numbers the message quotes, for code that reads them. */
  figures: Record<string, number | string | null>
}

/** What `analyzeRun` returns. */
export interface RunAnalysis {
  runId: string
  summary: {
    /** Distinct items. */
    items: number
    /** Summed time of every stage of every item, ms (what `shareOfTotal` divides). */
    totalMs: number
    /** First start to last end, ms. */
    wallTimeMs: number
    stageCount: number
    bottleneckCount: number
    errorCount: number
    /** Items whose stages sum above the `total` budget; null without one. */
    itemsOverBudget: number | null
  }
  stages: Record<string, StageAnalysis>
  /** Sorted by impact, largest first. */
  bottlenecks: Bottleneck[]
  /** Sorted by priority, then by the time at stake. */
  recommendations: Recommendation[]
  generatedAt: string
}

/** The `warnMs` and `criticalMs` of a budget, null where there is none. */
export function budgetOf(budget: Budget | undefined): {
  warnMs: number | null
  criticalMs: number | null
} {
  if (budget === undefined) return { warnMs: null, criticalMs: null }
  if (typeof budget === 'number') return { warnMs: budget, criticalMs: null }
  return { warnMs: budget.warnMs ?? null, criticalMs: budget.criticalMs ?? null }
}

const PRIORITY_ORDER = { high: 0, medium: 1, low: 2 }

/** Analyses a run's `metrics` (at least one) against `thresholds`. */
export function analyzeRun(
  runId: string,
  metrics: readonly StageMetric[],
  thresholds: StageThresholds = {},
  generatedAt = new Date().toISOString(),
): RunAnalysis {
  const byStage = groupByStage(metrics)
  let runTotalMs = 0
  for (const m of metrics) runTotalMs += m.durationMs
  const { firstStartMs, lastEndMs } = wallSpan(metrics)
  // Items overlap when the run took clearly less wall time than its stages summed.
  const isConcurrent = lastEndMs - firstStartMs < 0.9 * runTotalMs
  const apiAdvice = isConcurrent
    ? 'cache responses, batch calls, or raise the concurrency within the service’s rate limits'
    : 'cache responses, batch calls or process items concurrently'
  const stages: Record<string, StageAnalysis> = {}
  const bottlenecks: Bottleneck[] = []
  const recommendations: Array<Recommendation & { impactMs: number }> = []

  for (const [stage, list] of byStage) {
    const stats = stageStatistics(stage, list)
    const { warnMs, criticalMs } = budgetOf(thresholds[stage])
    let violations = 0
    let criticalViolations = 0
    let excessMs = 0
    let apiMs = 0
    let timedCalls = 0
    for (const m of list) {
      if (warnMs !== null && m.durationMs > warnMs) {
        violations++
        excessMs += m.durationMs - warnMs
      }
      if (criticalMs !== null && m.durationMs > criticalMs) criticalViolations++
      for (const calls of Object.values(m.apiCalls)) {
        for (const d of calls.durationsMs) apiMs += d
        timedCalls += calls.durationsMs.length
      }
    }
    const shareOfTotal = runTotalMs > 0 ? stats.totalMs / runTotalMs : 0
    const apiShare = timedCalls > 0 && stats.totalMs > 0 ? Math.min(1, apiMs / stats.totalMs) : null
    const analysis: StageAnalysis = {
      count: stats.itemCount,
      totalMs: stats.totalMs,
      averageMs: stats.averageMs,
      maxMs: stats.maxMs,
      p95Ms: stats.p95Ms,
      budgetMs: warnMs,
      violations,
      criticalViolations,
      excessMs,
      shareOfTotal,
      // Not 1 - successRate: 1 - 16 / 20 is 0.19999999999999996, below ERROR_RATE_HIGH.
      errorRate: stats.errorCount / stats.itemCount,
      apiShare,
    }
    stages[stage] = analysis

    const isDominant = byStage.size >= 2 && shareOfTotal >= DOMINANT_SHARE
    const reasons: BottleneckReason[] = []
    if (violations > 0) reasons.push('over-budget')
    if (isDominant) reasons.push('dominant')
    const impactMs = violations > 0 ? excessMs : stats.totalMs - runTotalMs / byStage.size
    if (reasons.length > 0) {
      bottlenecks.push({
        stage,
        reasons,
        impactMs,
        shareOfTotal,
        p95Ms: stats.p95Ms,
        budgetMs: warnMs,
        violations,
      })
    }
    const share = `${formatPercent(shareOfTotal)} of run time`
    const [p95, budget] = formatLatencies(stats.p95Ms, warnMs ?? stats.p95Ms)
    if (warnMs !== null && stats.p95Ms > warnMs) {
      recommendations.push({
        priority: 'high',
        kind: 'optimize',
        stage,
        message:
          `Optimize ${stage}: p95 ${p95} against a ${budget} ` +
          `budget, ${share} (${violations} of ${stats.itemCount} items over budget, ` +
          `${formatLatency(excessMs)} beyond it)`,
        figures: { p95Ms: stats.p95Ms, budgetMs: warnMs, shareOfTotal, violations, excessMs },
        impactMs,
      })
    } else if (violations > 0) {
      recommendations.push({
        priority: 'medium',
        kind: 'outliers',
        stage,
        message:
          `Look at the slowest ${stage} items: ${violations} of ${stats.itemCount} over the ` +
          `${budget} budget (max ${formatLatency(stats.maxMs)}), while p95 is ${p95}`,
        figures: { violations, budgetMs: warnMs, maxMs: stats.maxMs, p95Ms: stats.p95Ms },
        impactMs,
      })
    } else if (isDominant) {
      recommendations.push({
        priority: 'medium',
        kind: 'optimize',
        stage,
        message:
          `Optimize ${stage} first: ${share} (average ${formatLatency(stats.averageMs)}, ` +
          `p95 ${formatLatency(stats.p95Ms)})`,
        figures: { shareOfTotal, averageMs: stats.averageMs, p95Ms: stats.p95Ms },
        impactMs,
      })
    }
    if (
      // Stryker disable next-line ConditionalExpression: null >= API_BOUND_SHARE is false anyway; the check narrows the type
      apiShare !== null &&
      apiShare >= API_BOUND_SHARE
    ) {
      const services = Object.entries(stats.apiResponseTimes)
        .sort((a, b) => b[1].totalMs - a[1].totalMs)
        .map(
          ([service, t]) =>
            `${service}: ${t.calls} ${t.calls === 1 ? 'call' : 'calls'}, average ${formatLatency(t.averageMs)}, p95 ${formatLatency(t.p95Ms)}`,
        )
      recommendations.push({
        priority: shareOfTotal >= DOMINANT_SHARE ? 'medium' : 'low',
        kind: 'external-api',
        stage,
        message:
          `${stage} waits on external APIs for ${formatPercent(apiShare)} of its time ` +
          `(${services.join('; ')}): ${apiAdvice}`,
        figures: { apiShare, shareOfTotal, apiMs },
        impactMs: apiMs,
      })
    }
    if (analysis.errorRate >= ERROR_RATE_NOTABLE) {
      const example = list.find((m) => m.error !== null)?.error ?? null
      recommendations.push({
        priority: analysis.errorRate >= ERROR_RATE_HIGH ? 'high' : 'medium',
        kind: 'errors',
        stage,
        message:
          `Fix failures in ${stage}: ${formatPercent(analysis.errorRate)} of items failed ` +
          `(${stats.errorCount} of ${stats.itemCount}` +
          `${example === null ? '' : `; for example ${example.name}: ${example.message.slice(0, 120)}`})`,
        figures: {
          errorRate: analysis.errorRate,
          errorCount: stats.errorCount,
          itemCount: stats.itemCount,
        },
        impactMs: stats.errorCount * stats.averageMs,
      })
    }
  }

  const itemsOverBudget = itemBudget(metrics, thresholds, stages, recommendations)
  bottlenecks.sort((a, b) => b.impactMs - a.impactMs)
  recommendations.sort(
    (a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || b.impactMs - a.impactMs,
  )
  return {
    runId,
    summary: {
      items: new Set(metrics.map((m) => m.itemId)).size,
      totalMs: runTotalMs,
      wallTimeMs: lastEndMs - firstStartMs,
      stageCount: byStage.size,
      bottleneckCount: bottlenecks.length,
      errorCount: metrics.filter((m) => m.status === 'error').length,
      itemsOverBudget,
    },
    stages,
    bottlenecks,
    recommendations: recommendations.map(({ impactMs: _impactMs, ...r }) => r),
    generatedAt,
  }
}

/** Checks each item's summed stage time against the `total` budget; returns the items over it. */
function itemBudget(
  metrics: readonly StageMetric[],
  thresholds: StageThresholds,
  stages: Record<string, StageAnalysis>,
  recommendations: Array<Recommendation & { impactMs: number }>,
): number | null {
  const { warnMs } = budgetOf(thresholds[TOTAL_KEY])
  if (warnMs === null) return null
  const totals = new Map<string, number>()
  for (const m of metrics) totals.set(m.itemId, (totals.get(m.itemId) ?? 0) + m.durationMs)
  const sorted = Float64Array.from(totals.values()).sort()
  let over = 0
  let excessMs = 0
  for (const total of sorted) {
    if (total > warnMs) {
      over++
      excessMs += total - warnMs
    }
  }
  if (over === 0) return 0
  const p95Ms = quantileSorted(sorted, 0.95)
  const [largest, analysis] = Object.entries(stages).sort(
    (a, b) => b[1].totalMs - a[1].totalMs,
  )[0] as [string, StageAnalysis]
  recommendations.push({
    priority: p95Ms > warnMs ? 'high' : 'medium',
    kind: 'item-budget',
    stage: TOTAL_KEY,
    message:
      `Items exceed the ${formatLatency(warnMs)} total budget: ${over} of ${sorted.length} ` +
      `(${formatPercent(over / sorted.length)}), p95 ${formatLatency(p95Ms)}; ` +
      `the largest share is ${largest} (${formatPercent(analysis.shareOfTotal)})`,
    figures: {
      itemsOverBudget: over,
      items: sorted.length,
      p95Ms,
      budgetMs: warnMs,
      largestStage: largest,
    },
    impactMs: excessMs,
  })
  return over
}
