/**
 * Statistics of pipeline runs, pure: stage metrics in, figures out. `StageTracker` feeds it what
 * it reads from disk (or keeps in memory); reports and the CLI can feed it the same metrics.
 */
import type { StageMetric, TokenCounts } from '../core/stage-metric.js'
import { mean, quantileSorted } from '../core/stats.js'

/** One stage across a run (`getStageStatistics`). Durations in ms. */
export interface StageStatistics {
  stage: string
  /** Stage metrics: one per item that went through the stage. */
  itemCount: number
  averageMs: number
  /** The conventional median (the mean of the two middle values for an even count). */
  medianMs: number
  /** R-7 quantiles, as everywhere in perfwatch (docs/design.md). */
  p95Ms: number
  p99Ms: number
  minMs: number
  maxMs: number
  /** Sum of the durations: the time the stage took, summed over items. */
  totalMs: number
  /** External API calls per service. */
  totalApiCalls: Record<string, number>
  totalTokens: TokenCounts
  tokensByService: Record<string, TokenCounts>
  /**
   * Response times per service of the calls that gave `durationMs`: how many, their average and
   * p95, and their sum (the stage's time spent waiting on the service, if calls ran one by one).
   */
  apiResponseTimes: Record<string, ResponseTimes>
  /** Units processed (`ctx.addItems`), summed. */
  itemsProcessed: number
  /** Share of the stage metrics with status `success`, 0-1. */
  successRate: number
  errorCount: number
}

/** Response times of one service's calls, ms. */
export interface ResponseTimes {
  calls: number
  averageMs: number
  p95Ms: number
  totalMs: number
}

/** One run (`getRunSummary`): every stage, and the run as a whole. */
export interface RunSummary {
  runId: string
  /** Distinct items seen in the run. */
  itemCount: number
  /** Stage metrics in the run (items × stages, when every item went through every stage). */
  metricCount: number
  /** First start and last end, ISO-8601 (wall clock). */
  startedAt: string
  endedAt: string
  /** From the first start to the last end, ms: less than the summed stage time when items overlap. */
  wallTimeMs: number
  totalApiCalls: Record<string, number>
  totalTokens: TokenCounts
  tokensByService: Record<string, TokenCounts>
  /** Response times per service over all stages (calls that gave `durationMs`). */
  apiResponseTimes: Record<string, ResponseTimes>
  /** Units processed (`ctx.addItems`) over all stages. */
  itemsProcessed: number
  /** Distinct items per second of wall time; null when the wall time is 0. */
  itemsPerSecond: number | null
  /** `itemsProcessed` per second of wall time; null when none were counted or the wall time is 0. */
  unitsPerSecond: number | null
  errorCount: number
  /** Statistics per stage, in the order the stages first started. */
  stages: Record<string, StageStatistics>
}

/** The statistics of `metrics`, all of one stage (at least one). */
export function stageStatistics(stage: string, metrics: readonly StageMetric[]): StageStatistics {
  const durations = Float64Array.from(metrics, (m) => m.durationMs).sort()
  const calls = sumCalls(metrics)
  const errorCount = metrics.filter((m) => m.status === 'error').length
  return {
    stage,
    itemCount: metrics.length,
    averageMs: mean(durations),
    medianMs: quantileSorted(durations, 0.5),
    p95Ms: quantileSorted(durations, 0.95),
    p99Ms: quantileSorted(durations, 0.99),
    minMs: durations[0] ?? Number.NaN,
    maxMs: durations[durations.length - 1] ?? Number.NaN,
    totalMs: sum(durations),
    ...calls,
    itemsProcessed: metrics.reduce((total, m) => total + m.itemsProcessed, 0),
    successRate: (metrics.length - errorCount) / metrics.length,
    errorCount,
  }
}

/** The summary of a run's `metrics` (at least one). */
export function runSummary(runId: string, metrics: readonly StageMetric[]): RunSummary {
  const byStage = groupByStage(metrics)
  const { firstStartMs, lastEndMs } = wallSpan(metrics)
  const wallTimeMs = lastEndMs - firstStartMs
  const itemCount = new Set(metrics.map((m) => m.itemId)).size
  const itemsProcessed = metrics.reduce((total, m) => total + m.itemsProcessed, 0)
  const { totalApiCalls, totalTokens, tokensByService, apiResponseTimes } = sumCalls(metrics)
  return {
    runId,
    itemCount,
    metricCount: metrics.length,
    startedAt: new Date(firstStartMs).toISOString(),
    endedAt: new Date(lastEndMs).toISOString(),
    wallTimeMs,
    totalApiCalls,
    totalTokens,
    tokensByService,
    apiResponseTimes,
    itemsProcessed,
    itemsPerSecond: wallTimeMs > 0 ? itemCount / (wallTimeMs / 1000) : null,
    unitsPerSecond:
      wallTimeMs > 0 && itemsProcessed > 0 ? itemsProcessed / (wallTimeMs / 1000) : null,
    errorCount: metrics.filter((m) => m.status === 'error').length,
    stages: Object.fromEntries(
      [...byStage].map(([stage, list]) => [stage, stageStatistics(stage, list)]),
    ),
  }
}

/** The first start and the last end of `metrics`, epoch ms (wall clock). */
export function wallSpan(metrics: readonly StageMetric[]): {
  firstStartMs: number
  lastEndMs: number
} {
  let firstStartMs = Number.POSITIVE_INFINITY
  let lastEndMs = Number.NEGATIVE_INFINITY
  for (const m of metrics) {
    const startMs = Date.parse(m.startedAt)
    firstStartMs = Math.min(firstStartMs, startMs)
    lastEndMs = Math.max(lastEndMs, startMs + m.durationMs)
  }
  return { firstStartMs, lastEndMs }
}

/** The metrics per stage, stages in the order they first started. */
export function groupByStage(metrics: readonly StageMetric[]): Map<string, StageMetric[]> {
  // ISO-8601 strings of one form (toISOString) sort as their times do.
  const sorted = [...metrics].sort((a, b) =>
    a.startedAt < b.startedAt
      ? -1
      : // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort only asks whether the comparator is below 0, so 1 and 0 sort alike
        a.startedAt > b.startedAt
        ? 1
        : 0,
  )
  const byStage = new Map<string, StageMetric[]>()
  for (const m of sorted) {
    const list = byStage.get(m.stage)
    if (list === undefined) byStage.set(m.stage, [m])
    else list.push(m)
  }
  return byStage
}

/** Every service seen in `metrics`, sorted. */
export function servicesOf(metrics: readonly StageMetric[]): string[] {
  const services = new Set<string>()
  for (const m of metrics) for (const service in m.apiCalls) services.add(service)
  return [...services].sort()
}

function sumCalls(metrics: readonly StageMetric[]) {
  const totalApiCalls: Record<string, number> = {}
  const tokensByService: Record<string, TokenCounts> = {}
  const durations: Record<string, number[]> = {}
  const totalTokens: TokenCounts = { input: 0, output: 0 }
  for (const m of metrics) {
    for (const [service, calls] of Object.entries(m.apiCalls)) {
      totalApiCalls[service] = (totalApiCalls[service] ?? 0) + calls.calls
      const tokens = tokensByService[service] ?? { input: 0, output: 0 }
      tokensByService[service] = tokens
      tokens.input += calls.inputTokens
      tokens.output += calls.outputTokens
      totalTokens.input += calls.inputTokens
      totalTokens.output += calls.outputTokens
      if (calls.durationsMs.length > 0) {
        const list = durations[service] ?? []
        durations[service] = list
        for (const d of calls.durationsMs) list.push(d) // not concat: that copies, O(n²) over a run
      }
    }
  }
  const apiResponseTimes: Record<string, ResponseTimes> = {}
  for (const [service, list] of Object.entries(durations)) {
    const sorted = Float64Array.from(list).sort()
    apiResponseTimes[service] = {
      calls: sorted.length,
      averageMs: mean(sorted),
      p95Ms: quantileSorted(sorted, 0.95),
      totalMs: sum(sorted),
    }
  }
  return { totalApiCalls, totalTokens, tokensByService, apiResponseTimes }
}

function sum(values: ArrayLike<number>): number {
  let total = 0
  for (let i = 0; i < values.length; i++) total += values[i] as number
  return total
}
