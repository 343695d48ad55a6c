/**
 * The profiler's report, pure: what the profiler collected in, the versioned report out
 * (`Profiler.report()`; docs/file-format.md describes it, docs/profiling.md the rules). Stage
 * figures and the run's bottlenecks and recommendations come from `analyzeRun`; memory, leak,
 * garbage-collection and I/O advice are the rules below, each quoting the numbers behind it.
 */
import { formatBytes, formatLatency, formatPercent } from '../core/format.js'
import type { StageMetric } from '../core/stage-metric.js'
import { linearFit, mannWhitneyU, mean, quantileSorted } from '../core/stats.js'
import {
  analyzeRun,
  type Bottleneck,
  type RecommendationKind,
  type StageThresholds,
} from './run-analysis.js'
import { groupByStage } from './stage-statistics.js'

/** `format` of every profile report. */
export const PROFILE_REPORT_FORMAT = 'perfwatch-profile'
/** `version` of the report this code writes. */
export const PROFILE_REPORT_VERSION = 1

/** MB in reports means MiB. */
const MB = 1024 * 1024

/** A stage whose heap growth is at least this share of every stage's growth gets advice… */
export const MEMORY_DOMINANT_SHARE = 0.5
/** …when that growth is at least this many bytes (summed over the stage's runs). */
export const MEMORY_MIN_GROWTH_BYTES = 8 * MB
/** Garbage-collection pauses above this share of the profiled time get advice. */
export const GC_PAUSE_SHARE = 0.05
/** A service or host whose response times add up to this share of a stage's time dominates it. */
export const IO_DOMINANT_SHARE = 0.5
/** Post-GC heap readings needed before a leak verdict. */
export const LEAK_MIN_READINGS = 5
/** A leak needs this many consecutive growths of the post-GC heap… */
export const LEAK_CONSECUTIVE_GROWTHS = 5
/** …or a slope this many standard errors above 0 (a one-sided p below about 0.01)… */
export const LEAK_SLOPE_T = 3
/** …and, either way, at least this much growth (the streak's, or the fitted line's). */
export const LEAK_MIN_GROWTH_BYTES = 1 * MB
/** Comparison with a previous run: both need this many items of a stage for the U test. */
export const MIN_ITEMS_FOR_TEST = 8
/** A change is significant below this two-sided p-value… */
export const SIGNIFICANCE_LEVEL = 0.05
/** …and when the median moved by at least this share (a 1 % shift over many items is not news). */
export const MIN_RELEVANT_CHANGE = 0.05
/** Per-item durations kept per stage in a report (for the next run's comparison). */
export const MAX_KEPT_DURATIONS = 2000

/** How much the profiler measures (docs/profiling.md). */
export type ProfileDetail = 'basic' | 'detailed' | 'full'

/** The levels, from the cheapest. */
export const PROFILE_DETAILS: readonly ProfileDetail[] = ['basic', 'detailed', 'full']

/** Memory of one stage, summed or maximised over its runs (detailed level). Bytes. */
export interface StageMemory {
  /** Heap used at the first start and at the last end of the stage. */
  heapStartBytes: number
  heapEndBytes: number
  /** Heap used at the end minus at the start, summed over the stage's runs. */
  heapDeltaBytes: number
  /** The largest heap used seen while the stage ran (samples and its boundaries). */
  heapPeakBytes: number
  rssStartBytes: number
  rssEndBytes: number
  rssDeltaBytes: number
  rssPeakBytes: number
}

/** One reading of the heap right after a major garbage collection. */
export interface HeapReading {
  /** Profiler clock, ms. */
  atMs: number
  heapBytes: number
  /** The stage running (the most recently started one still open, else the last one started), or null. */
  stage: string | null
}

/** Garbage collection over the profiled time (detailed level). */
export interface GcFigures {
  count: number
  majorCount: number
  totalPauseMs: number
  longestPauseMs: number
}

/** Event-loop delay (detailed level), ms. */
export interface EventLoopFigures {
  p50Ms: number
  p99Ms: number
  maxMs: number
}

/** Outgoing HTTP requests to one host, as the profiler timed them (detailed level). */
export interface HostRequests {
  /** Durations of the requests that finished, ms, in order. */
  durationsMs: number[]
  /** Requests that failed (an error before the response finished). */
  errors: number
  /** Summed duration of the host's requests per stage that was running when they started. */
  msByStage: Record<string, number>
}

/** A decorated or wrapped operation of the default tracker, read at report time. */
export interface OperationFigures {
  count: number
  meanMs: number | null
  p95Ms: number | null
}

/** A function of the CPU profile (full level). */
export interface CpuFunction {
  functionName: string
  url: string
  line: number
  selfMs: number
  /** Of the profile's sampled time, 0-1. */
  share: number
}

/** What the profiler collected: the input of `buildProfileReport`. */
export interface ProfileData {
  detail: ProfileDetail
  /** ISO-8601. */
  startedAt: string
  durationMs: number
  /** Every stage that ended while profiling (up to the profiler's cap). */
  metrics: readonly StageMetric[]
  /** Metrics beyond the cap, counted but not kept. */
  droppedMetrics: number
  thresholds: StageThresholds
  /** What `addItems` counts, for the rate's unit. */
  unitName: string
  peakRssBytes: number
  peakHeapBytes: number
  memorySamples: number
  stageMemory: Record<string, StageMemory> | null
  gc: GcFigures | null
  heapAfterGc: readonly HeapReading[] | null
  eventLoop: EventLoopFigures | null
  http: Record<string, HostRequests> | null
  operations: Record<string, OperationFigures> | null
  cpu: { file: string | null; topFunctions: CpuFunction[] } | null
  /** The run to compare with, as its report; null for none. */
  previous: ProfileReport | null
}

/** One stage in the report. Durations in ms. */
export interface StageProfile {
  stage: string
  count: number
  totalMs: number
  /**
   * `totalMs` over the summed time of all stages (`summary.stageTimeMs`), 0-1: the share
   * `analyzeRun`'s recommendations quote as "of run time", whether items overlap or not.
   */
  shareOfTotal: number
  averageMs: number
  medianMs: number
  p95Ms: number
  maxMs: number
  errorCount: number
  itemsProcessed: number
  memory: StageMemory | null
  /** Per-item durations in the order they ended (at most `MAX_KEPT_DURATIONS`, evenly thinned). */
  durationsMs: number[]
}

/** Response times of one external service (`recordApiCall` with `durationMs`), ms. */
export interface ServiceProfile {
  service: string
  calls: number
  averageMs: number
  p95Ms: number
  totalMs: number
}

/** Outgoing HTTP requests to one host, ms. */
export interface HostProfile {
  host: string
  requests: number
  errors: number
  averageMs: number
  p95Ms: number
  totalMs: number
}

/** The leak verdict on the heap after each major garbage collection. */
export interface LeakVerdict {
  isLeak: boolean
  /** Which rule said so: a streak of growths, or the fitted slope; null without a leak. */
  rule: 'consecutive-growth' | 'slope' | null
  readings: number
  /** The fitted slope of the post-GC heap, MB (MiB) per minute; null below 2 readings. */
  growthMbPerMinute: number | null
  /** The slope over its standard error; null below 3 readings. */
  slopeT: number | null
  /** The longest run of consecutive growths, and what the heap grew over it (bytes). */
  consecutiveGrowths: number
  streakGrowthBytes: number
  /** The stage running at most of the readings, or null. */
  stage: string | null
}

/** Change of one stage against the previous run. */
export interface StageChange {
  stage: string
  previousMedianMs: number
  medianMs: number
  /** medianMs / previousMedianMs − 1. */
  change: number
  /** Mann-Whitney U on the per-item durations; null when either run has too few items. */
  pValue: number | null
  /** `pValue` below `SIGNIFICANCE_LEVEL` and the median moved by `MIN_RELEVANT_CHANGE` or more. */
  isSignificant: boolean
}

/** Comparison with a previous run. */
export interface ProfileComparison {
  previousGeneratedAt: string
  stages: StageChange[]
  previousPeakRssBytes: number
  /** peakRssBytes / previousPeakRssBytes − 1; null when the previous peak is 0. */
  peakRssChange: number | null
}

/** What a profile recommendation is about. */
export type ProfileRecommendationKind = RecommendationKind | 'memory' | 'leak' | 'gc' | 'io'

/** One concrete step, with the figures behind it. */
export interface ProfileRecommendation {
  priority: 'high' | 'medium' | 'low'
  kind: ProfileRecommendationKind
  /** The stage it is about; null for the whole process. */
  stage: string | null
  message: string
  figures: Record<string, number | string | null>
}

/** `Profiler.report()`: versioned JSON (docs/file-format.md). Durations ms, sizes bytes. */
export interface ProfileReport {
  format: typeof PROFILE_REPORT_FORMAT
  version: typeof PROFILE_REPORT_VERSION
  generatedAt: string
  startedAt: string
  detail: ProfileDetail
  summary: {
    durationMs: number
    /** Summed time of every stage of every item. */
    stageTimeMs: number
    /** Distinct items (by run and item id). */
    items: number
    stageCount: number
    unitName: string
    unitsProcessed: number
    /** Units per second of profiled time; null when none were counted. */
    unitsPerSecond: number | null
    peakRssBytes: number
    peakHeapBytes: number
    memorySamples: number
    droppedMetrics: number
  }
  stages: StageProfile[]
  services: ServiceProfile[]
  gc: (GcFigures & { shareOfRun: number }) | null
  eventLoop: EventLoopFigures | null
  http: HostProfile[] | null
  leak: LeakVerdict | null
  operations: Array<OperationFigures & { operation: string }>
  cpu: { file: string | null; topFunctions: CpuFunction[] } | null
  bottlenecks: Bottleneck[]
  recommendations: ProfileRecommendation[]
  comparison: ProfileComparison | null
}

const PRIORITY_ORDER = { high: 0, medium: 1, low: 2 }

/** Builds the report of `data`. */
export function buildProfileReport(
  data: ProfileData,
  generatedAt = new Date().toISOString(),
): ProfileReport {
  const { durationMs, metrics } = data
  const stageTimeMs = sumOf(metrics.map((m) => m.durationMs))
  const stages = stageProfiles(data, stageTimeMs)
  const unitsProcessed = sumOf(metrics.map((m) => m.itemsProcessed))
  // Stryker disable next-line StringLiteral: the run id is not part of the report
  const analysis = analyzeRun('profile', metrics, data.thresholds)
  const recommendations: Array<ProfileRecommendation & { rank: number }> =
    analysis.recommendations.map((r, rank) => ({ ...r, rank }))
  const leak = data.heapAfterGc === null ? null : leakVerdict(data.heapAfterGc)
  const gc =
    data.gc === null
      ? null
      : { ...data.gc, shareOfRun: durationMs > 0 ? data.gc.totalPauseMs / durationMs : 0 }
  const advice = [
    ...memoryAdvice(stages),
    ...(leak === null ? [] : leakAdvice(leak)),
    ...(gc === null ? [] : gcAdvice(gc, durationMs)),
    ...ioAdvice(metrics, data.http),
  ]
  for (const item of advice) recommendations.push({ ...item, rank: recommendations.length })
  recommendations.sort(
    (a, b) => PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] || a.rank - b.rank,
  )
  return {
    format: PROFILE_REPORT_FORMAT,
    version: PROFILE_REPORT_VERSION,
    generatedAt,
    startedAt: data.startedAt,
    detail: data.detail,
    summary: {
      durationMs,
      stageTimeMs,
      items: new Set(metrics.map((m) => JSON.stringify([m.runId, m.itemId]))).size,
      stageCount: stages.length,
      unitName: data.unitName,
      unitsProcessed,
      unitsPerSecond:
        unitsProcessed > 0 && durationMs > 0 ? unitsProcessed / (durationMs / 1000) : null,
      peakRssBytes: data.peakRssBytes,
      peakHeapBytes: data.peakHeapBytes,
      memorySamples: data.memorySamples,
      droppedMetrics: data.droppedMetrics,
    },
    stages,
    services: serviceProfiles(metrics),
    gc,
    eventLoop: data.eventLoop,
    http: data.http === null ? null : hostProfiles(data.http),
    leak,
    operations: Object.entries(data.operations ?? {})
      .map(([operation, figures]) => ({ operation, ...figures }))
      .sort((a, b) => b.count - a.count),
    cpu: data.cpu,
    bottlenecks: analysis.bottlenecks,
    recommendations: recommendations.map(({ rank: _rank, ...r }) => r),
    comparison:
      data.previous === null ? null : compareRuns(stages, data.peakRssBytes, data.previous),
  }
}

/** Each stage's figures; `stageTimeMs` is the summed time of all stages (the shares' whole). */
function stageProfiles(data: ProfileData, stageTimeMs: number): StageProfile[] {
  const profiles: StageProfile[] = []
  for (const [stage, list] of groupByStage(data.metrics)) {
    const inOrder = list.map((m) => m.durationMs)
    const sorted = Float64Array.from(inOrder).sort()
    const totalMs = sumOf(inOrder)
    profiles.push({
      stage,
      count: list.length,
      totalMs,
      shareOfTotal: stageTimeMs > 0 ? totalMs / stageTimeMs : 0,
      averageMs: totalMs / list.length,
      medianMs: quantileSorted(sorted, 0.5),
      p95Ms: quantileSorted(sorted, 0.95),
      maxMs: sorted[sorted.length - 1] as number,
      errorCount: list.filter((m) => m.status === 'error').length,
      itemsProcessed: sumOf(list.map((m) => m.itemsProcessed)),
      memory: data.stageMemory?.[stage] ?? null,
      durationsMs: thinned(inOrder, MAX_KEPT_DURATIONS),
    })
  }
  return profiles
}

/** At most `max` of `values`, evenly spaced, in their order. */
export function thinned(values: readonly number[], max: number): number[] {
  const count = Math.min(max, values.length)
  const kept: number[] = []
  for (let k = 0; k < count; k++) {
    kept.push(values[Math.floor((k * values.length) / count)] as number)
  }
  return kept
}

function serviceProfiles(metrics: readonly StageMetric[]): ServiceProfile[] {
  const durations = new Map<string, number[]>()
  for (const m of metrics) {
    for (const [service, calls] of Object.entries(m.apiCalls)) {
      const list = durations.get(service) ?? []
      durations.set(service, list)
      for (const d of calls.durationsMs) list.push(d)
    }
  }
  const profiles: ServiceProfile[] = []
  for (const [service, list] of durations) {
    if (list.length === 0) continue
    profiles.push({ service, ...timesOf(list) })
  }
  return profiles.sort((a, b) => b.totalMs - a.totalMs)
}

function hostProfiles(http: Record<string, HostRequests>): HostProfile[] {
  return Object.entries(http)
    .map(([host, requests]) => {
      const times =
        requests.durationsMs.length > 0
          ? timesOf(requests.durationsMs)
          : { calls: 0, averageMs: 0, p95Ms: 0, totalMs: 0 }
      return {
        host,
        requests: times.calls,
        errors: requests.errors,
        averageMs: times.averageMs,
        p95Ms: times.p95Ms,
        totalMs: times.totalMs,
      }
    })
    .sort((a, b) => b.totalMs - a.totalMs)
}

function timesOf(list: readonly number[]) {
  const sorted = Float64Array.from(list).sort()
  return {
    calls: sorted.length,
    averageMs: mean(sorted),
    p95Ms: quantileSorted(sorted, 0.95),
    totalMs: sumOf(list),
  }
}

/**
 * The leak rule on the heap after each major GC: at least `LEAK_MIN_READINGS` readings, and
 * either `LEAK_CONSECUTIVE_GROWTHS` growths in a row or a fitted slope `LEAK_SLOPE_T` standard
 * errors above 0; either way the heap must have grown by `LEAK_MIN_GROWTH_BYTES` (over the streak,
 * or along the fitted line across the readings).
 */
export function leakVerdict(readings: readonly HeapReading[]): LeakVerdict {
  let streak = 0
  let longest = 0
  let streakGrowth = 0
  let longestGrowth = 0
  for (let i = 1; i < readings.length; i++) {
    const growth =
      (readings[i] as HeapReading).heapBytes - (readings[i - 1] as HeapReading).heapBytes
    if (growth > 0) {
      streak++
      streakGrowth += growth
    } else {
      streak = 0
      streakGrowth = 0
    }
    // Stryker disable next-line EqualityOperator: an equal streak of equal growth changes nothing
    if (streak > longest || (streak === longest && streakGrowth > longestGrowth)) {
      longest = streak
      longestGrowth = streakGrowth
    }
  }
  // Fewer than 2 readings, or all at one time, give a NaN slope: no slope.
  const fit = linearFit(
    readings.map((r) => r.atMs),
    readings.map((r) => r.heapBytes),
  )
  const slope = Number.isFinite(fit.slope) ? fit.slope : null
  // A NaN standard error (2 readings) or 0 (a perfect line) gives no t; a perfect line is steep
  // (the growth floor below rules out a flat or falling one).
  const slopeT = fit.slopeStandardError > 0 ? fit.slope / fit.slopeStandardError : null
  // Stryker disable next-line EqualityOperator: a t of exactly LEAK_SLOPE_T cannot be told apart
  const isSteep = slopeT === null || slopeT >= LEAK_SLOPE_T
  const hasEnough = readings.length >= LEAK_MIN_READINGS
  const byStreak =
    hasEnough && longest >= LEAK_CONSECUTIVE_GROWTHS && longestGrowth >= LEAK_MIN_GROWTH_BYTES
  // A NaN slope (no slope) fails the comparison.
  const bySlope = hasEnough && isSteep && fit.slope * spanOf(readings) >= LEAK_MIN_GROWTH_BYTES
  return {
    isLeak: byStreak || bySlope,
    rule: byStreak ? 'consecutive-growth' : bySlope ? 'slope' : null,
    readings: readings.length,
    growthMbPerMinute: slope === null ? null : (slope * 60_000) / MB,
    slopeT,
    consecutiveGrowths: longest,
    streakGrowthBytes: longestGrowth,
    stage: mostFrequent(readings.map((r) => r.stage)),
  }
}

/** From the first reading to the last, ms (at least one reading). */
function spanOf(readings: readonly HeapReading[]): number {
  return (readings[readings.length - 1] as HeapReading).atMs - (readings[0] as HeapReading).atMs
}

function mostFrequent(values: ReadonlyArray<string | null>): string | null {
  const counts = new Map<string, number>()
  let best: string | null = null
  let bestCount = 0
  for (const value of values) {
    if (value === null) continue
    const count = (counts.get(value) ?? 0) + 1
    counts.set(value, count)
    if (count > bestCount) {
      best = value
      bestCount = count
    }
  }
  return best
}

function memoryAdvice(stages: readonly StageProfile[]): ProfileRecommendation[] {
  let totalGrowth = 0
  for (const s of stages) totalGrowth += Math.max(0, s.memory?.heapDeltaBytes ?? 0)
  const advice: ProfileRecommendation[] = []
  for (const s of stages) {
    if (s.memory === null || s.memory.heapDeltaBytes < MEMORY_MIN_GROWTH_BYTES) continue
    const growth = s.memory.heapDeltaBytes
    const share = growth / totalGrowth // at least growth > 0
    if (share < MEMORY_DOMINANT_SHARE) continue
    const peak = s.memory.heapPeakBytes
    advice.push({
      priority: 'medium',
      kind: 'memory',
      stage: s.stage,
      message:
        `Reduce what ${s.stage} allocates: the heap grew ${formatBytes(growth)} while it ran ` +
        `(${s.count} ${s.count === 1 ? 'run' : 'runs'}), ${formatPercent(share)} of the growth ` +
        `across stages (peak heap inside ${formatBytes(peak)})`,
      figures: {
        heapDeltaBytes: growth,
        shareOfGrowth: share,
        heapPeakBytes: peak,
        count: s.count,
      },
    })
  }
  return advice
}

function leakAdvice(leak: LeakVerdict): ProfileRecommendation[] {
  if (!leak.isLeak) return []
  const rate = (leak.growthMbPerMinute ?? 0).toFixed(1)
  const evidence =
    leak.rule === 'consecutive-growth'
      ? `${leak.consecutiveGrowths} growths in a row, +${formatBytes(leak.streakGrowthBytes)}`
      : leak.slopeT === null
        ? 'a straight rise'
        : `slope ${leak.slopeT.toFixed(1)} standard errors above 0`
  return [
    {
      priority: 'high',
      kind: 'leak',
      stage: leak.stage,
      message:
        `Possible memory leak: the heap after major GCs grows ${rate} MB/min over ` +
        `${leak.readings} GCs (${evidence})` +
        (leak.stage === null ? '' : `, mostly while ${leak.stage} was running`),
      figures: {
        growthMbPerMinute: leak.growthMbPerMinute,
        readings: leak.readings,
        consecutiveGrowths: leak.consecutiveGrowths,
        streakGrowthBytes: leak.streakGrowthBytes,
        slopeT: leak.slopeT,
        stage: leak.stage,
      },
    },
  ]
}

function gcAdvice(
  gc: GcFigures & { shareOfRun: number },
  durationMs: number,
): ProfileRecommendation[] {
  if (gc.shareOfRun < GC_PAUSE_SHARE) return []
  return [
    {
      priority: 'medium',
      kind: 'gc',
      stage: null,
      message:
        `Garbage collection paused the process ${formatPercent(gc.shareOfRun)} of the time ` +
        `(${gc.count} GCs, ${formatLatency(gc.totalPauseMs)} of ${formatLatency(durationMs)}, ` +
        `longest ${formatLatency(gc.longestPauseMs)}): allocate less per item or reuse buffers`,
      figures: {
        shareOfRun: gc.shareOfRun,
        count: gc.count,
        totalPauseMs: gc.totalPauseMs,
        longestPauseMs: gc.longestPauseMs,
      },
    },
  ]
}

/**
 * Hosts whose HTTP requests (timed through diagnostics_channel) add up to `IO_DOMINANT_SHARE` of
 * a stage's time. Services given to `recordApiCall` are `analyzeRun`'s `external-api` rule: one
 * service at that share always makes all of a stage's services reach it too.
 */
function ioAdvice(
  metrics: readonly StageMetric[],
  http: Record<string, HostRequests> | null,
): ProfileRecommendation[] {
  const stageMs = new Map<string, number>()
  for (const m of metrics) stageMs.set(m.stage, (stageMs.get(m.stage) ?? 0) + m.durationMs)
  const advice: ProfileRecommendation[] = []
  for (const [host, requests] of Object.entries(http ?? {})) {
    for (const [stage, waitMs] of Object.entries(requests.msByStage)) {
      const totalMs = stageMs.get(stage) ?? 0
      // Requests overlap the stage and each other: their sum can pass the stage's time. A stage
      // that was not profiled (its metrics dropped) has no time to share.
      const share = totalMs > 0 ? Math.min(1, waitMs / totalMs) : 0
      if (share < IO_DOMINANT_SHARE) continue
      advice.push({
        priority: 'medium',
        kind: 'io',
        stage,
        message:
          `${stage} spends ${formatPercent(share)} of its time waiting on HTTP requests to ` +
          `${host}: ${formatLatency(waitMs)} of ${formatLatency(totalMs)}; cache, batch or ` +
          'overlap these requests',
        figures: { host, waitMs, stageMs: totalMs, share },
      })
    }
  }
  return advice
}

function compareRuns(
  stages: readonly StageProfile[],
  peakRssBytes: number,
  previous: ProfileReport,
): ProfileComparison {
  const changes: StageChange[] = []
  for (const s of stages) {
    const before = previous.stages.find((p) => p.stage === s.stage)
    if (before === undefined) continue
    const isTestable =
      s.durationsMs.length >= MIN_ITEMS_FOR_TEST && before.durationsMs.length >= MIN_ITEMS_FOR_TEST
    const pValue = isTestable ? mannWhitneyU(s.durationsMs, before.durationsMs).pValue : null
    const isRelevant =
      Math.abs(s.medianMs - before.medianMs) >= MIN_RELEVANT_CHANGE * before.medianMs
    changes.push({
      stage: s.stage,
      previousMedianMs: before.medianMs,
      medianMs: s.medianMs,
      change: s.medianMs / before.medianMs - 1,
      pValue,
      // Stryker disable next-line EqualityOperator: a p-value of exactly 0.05 cannot be told apart
      isSignificant: pValue !== null && pValue < SIGNIFICANCE_LEVEL && isRelevant,
    })
  }
  const previousPeak = previous.summary.peakRssBytes
  return {
    previousGeneratedAt: previous.generatedAt,
    stages: changes,
    previousPeakRssBytes: previousPeak,
    peakRssChange: previousPeak > 0 ? peakRssBytes / previousPeak - 1 : null,
  }
}

function sumOf(values: readonly number[]): number {
  let total = 0
  for (const v of values) total += v
  return total
}
