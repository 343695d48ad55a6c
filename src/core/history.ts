/**
 * What the history store's queries return (`perfwatch/history`, docs/http.md): types only, shared
 * by the store and the dashboard. Durations in ms, rates 0-1, times epoch ms.
 */
import type { HealthScore, Severity } from './health.js'

/** A query's window: the last `days` days (1 to 365, default 7), to the hour. */
export interface HistoryWindow {
  days?: number
}

/** Requests by status class. */
export interface StatusClasses {
  '1xx': number
  '2xx': number
  '3xx': number
  '4xx': number
  '5xx': number
}

/** One route (or tracker operation) over a window. */
export interface RouteSummary {
  /** `'GET /users/:id'`, `'(unmatched)'`, or a tracker operation's name. */
  route: string
  requests: number
  averageMs: number
  minMs: number
  maxMs: number
  /** From the merged per-minute digests: within 1 % of the true quantile. */
  p50Ms: number
  p95Ms: number
  p99Ms: number
  errors: number
  errorRate: number
  cacheHits: number
  cacheHitRate: number
  aborted: number
  statusClasses: StatusClasses
  /** By P95 against the severity bands (good < 100 ms, warning < 500, slow < 1000, critical). */
  severity: Severity
}

/** `overview()`: the whole service over a window. */
export interface HistoryOverview {
  days: number
  routes: number
  requests: number
  /** Null while the window has no request. */
  averageMs: number | null
  p95Ms: number | null
  cacheHitRate: number | null
  errorRate: number | null
  /** The route with the highest P95, null without requests. */
  slowestRoute: { route: string; p95Ms: number } | null
}

/** One hour of `trend()`: hours without a request are left out. */
export interface TrendPoint {
  /** The hour's start, epoch ms. */
  hourMs: number
  requests: number
  averageMs: number
  p95Ms: number
}

/** A route's cache use in `cacheEffectiveness()`. */
export interface RouteCacheUse {
  route: string
  requests: number
  cacheHits: number
  hitRate: number
}

/** `cacheEffectiveness()`: routes by hit rate, each list by requests, most first. */
export interface CacheEffectiveness {
  days: number
  /** The hit rate from which a route counts as effective (0.7). */
  effectiveFrom: number
  /** Hit rate >= 70 %. */
  effective: RouteCacheUse[]
  /** Some hits, below 70 %. */
  ineffective: RouteCacheUse[]
  /** No hit at all. */
  none: RouteCacheUse[]
}

/** `routeComparison()`: every route by requests, most first, with its share of all requests. */
export interface RouteShare extends RouteSummary {
  share: number
}

/** `healthScore()`: the score and the figures it came from. */
export interface HistoryHealth {
  days: number
  requests: number
  averageMs: number | null
  /** Null when the service does not use a cache (`usesCache`: by default, no hit in the window). */
  cacheHitRate: number | null
  errorRate: number | null
  /** The score, grade and parts; null while the window has no request. */
  health: HealthScore | null
}

/** `storageInfo()`. */
export interface StorageInfo {
  path: string
  /** The database file plus its WAL, bytes. */
  fileBytes: number
  retentionDays: number
  keepRaw: boolean
  rows: { minute: number; hour: number; day: number; week: number; raw: number }
  /** Oldest and newest minute stored, null when empty. */
  oldestMs: number | null
  newestMs: number | null
  /** Requests waiting for the next flush, and requests dropped because the buffer was full. */
  pending: number
  dropped: number
}

/** `rotate(days)`: what was deleted. */
export interface RotateResult {
  /** Data older than this (epoch ms) was deleted. */
  beforeMs: number
  deletedRows: number
}
