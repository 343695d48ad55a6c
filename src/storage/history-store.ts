/**
 * `perfwatch/history`: a web service's request history in SQLite (better-sqlite3, an optional
 * peer), per-minute, per-hour and per-day rollups with mergeable digests, retention, and the
 * queries of the dashboard (docs/http.md#history-store).
 *
 * The request path only appends the record to an array. A flush (an unref'd timer, `flush()`,
 * `close()`, and process exit) rolls the buffered records and the tracker's new samples up by
 * minute and upserts the three tiers in one transaction; the upsert adds counts and merges the
 * digests inside SQLite, so several processes can write the same file (WAL, busy timeout).
 */
import { mkdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, resolve } from 'node:path'
import {
  ERROR_CODES,
  HistoryDriverError,
  HistoryFileError,
  InvalidArgumentError,
  UnknownRouteError,
} from '../core/errors.js'
import {
  DEFAULT_SEVERITY_BANDS,
  healthScore,
  type SeverityBands,
  severityOf,
} from '../core/health.js'
import type {
  CacheEffectiveness,
  HistoryHealth,
  HistoryOverview,
  HistoryWindow,
  RotateResult,
  RouteShare,
  RouteSummary,
  StorageInfo,
  TrendPoint,
} from '../core/history.js'
import { RateLimiter } from '../core/rate-limiter.js'
import type { RequestRecord, RequestSink } from '../http/request-record.js'
import { createDefaultLogger, SafeLogger } from '../log.js'
import { checkOptions, type HistoryStoreOptions } from './history-options.js'
import {
  addEncodedDigest,
  encodeDigest,
  mergeEncodedDigests,
  Rollup,
  type Span,
  STATUS_CLASSES,
  splitWindow,
} from './rollup.js'

/** The schema this version writes: `PRAGMA user_version`. Each migration moves one version up. */
export const HISTORY_SCHEMA_VERSION = 1
/** `PRAGMA application_id` of a perfwatch history database: 'PWHS'. */
export const HISTORY_APPLICATION_ID = 0x50574853

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
const MAX_WINDOW_DAYS = 365
/** Hit rate from which a route's cache counts as effective. */
const EFFECTIVE_CACHE = 0.7

/** Series kinds: a route, a tracker operation, and all routes together (for the trend). */
const ROUTE = 0
const OPERATION = 1
const ALL_ROUTES = 2
const ALL_ROUTES_NAME = '*'

const HOUR_TIER = { table: 'rollup_hour', spanMinutes: 60 }
const TIERS = [
  { table: 'rollup_minute', spanMinutes: 1 },
  HOUR_TIER,
  { table: 'rollup_day', spanMinutes: 1440 },
] as const

const ROLLUP_COLUMNS = `
  series INTEGER NOT NULL REFERENCES series (id),
  t INTEGER NOT NULL,
  count INTEGER NOT NULL,
  sum_ms REAL NOT NULL,
  min_ms REAL NOT NULL,
  max_ms REAL NOT NULL,
  errors INTEGER NOT NULL,
  cache_hits INTEGER NOT NULL,
  aborted INTEGER NOT NULL,
  s1xx INTEGER NOT NULL,
  s2xx INTEGER NOT NULL,
  s3xx INTEGER NOT NULL,
  s4xx INTEGER NOT NULL,
  s5xx INTEGER NOT NULL,
  digest BLOB NOT NULL,
  PRIMARY KEY (series, t)`

/** The migrations, in order: `MIGRATIONS[n]` moves a database from version n to n + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE series (
     id INTEGER PRIMARY KEY,
     kind INTEGER NOT NULL,
     name TEXT NOT NULL,
     UNIQUE (kind, name)
   );
   ${TIERS.map((tier) => `CREATE TABLE ${tier.table} (${ROLLUP_COLUMNS}) WITHOUT ROWID;`).join('\n')}
   CREATE TABLE route_metrics (
     id INTEGER PRIMARY KEY,
     timestamp INTEGER NOT NULL,
     route TEXT NOT NULL,
     method TEXT NOT NULL,
     duration_ms REAL NOT NULL,
     status_code INTEGER NOT NULL,
     cache_hit INTEGER NOT NULL,
     error INTEGER NOT NULL,
     aborted INTEGER NOT NULL
   );
   CREATE INDEX route_metrics_timestamp ON route_metrics (timestamp);
   CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
   INSERT INTO meta (key, value) VALUES
     ('rows rollup_minute', 0), ('rows rollup_hour', 0), ('rows rollup_day', 0),
     ('rows route_metrics', 0);`,
]

// The driver's types, declared here: better-sqlite3 is an optional peer, loaded on first use.
interface Statement {
  run(...params: unknown[]): { changes: number }
  get(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  raw(toggle?: boolean): Statement
}
interface Database {
  prepare(sql: string): Statement
  exec(sql: string): void
  pragma(sql: string, options?: { simple: boolean }): unknown
  function(
    name: string,
    options: { deterministic: boolean },
    fn: (...args: never[]) => unknown,
  ): void
  transaction<F extends (...args: never[]) => unknown>(fn: F): F & { immediate: F }
  close(): void
}
type DatabaseConstructor = new (path: string, options?: { timeout?: number }) => Database

let driver: DatabaseConstructor | undefined

function loadDriver(): DatabaseConstructor {
  if (driver === undefined) {
    try {
      driver = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor
    } catch (error) {
      throw new HistoryDriverError(error)
    }
  }
  return driver
}

/**
 * One rollup row as read from a tier, as an array in the columns' order: series, t, count,
 * sum_ms, min_ms, max_ms, errors, cache_hits, aborted, s1xx to s5xx, digest. (Rows as objects
 * cost 1.6x the CPU, and a 90-day query reads up to 172 rows per route: docs/benchmarks.md.)
 */
type RollupRow = [
  series: number,
  t: number,
  count: number,
  sumMs: number,
  minMs: number,
  maxMs: number,
  errors: number,
  cacheHits: number,
  aborted: number,
  s1xx: number,
  s2xx: number,
  s3xx: number,
  s4xx: number,
  s5xx: number,
  digest: Uint8Array,
]

/**
 * The rollups of a route's last minute in a flush, and of all routes in that minute: records
 * come in time order, so most find theirs here instead of by a key built per record and series
 * (with that key, a flush of 20,000 requests took 11 ms of CPU instead of 3.5: docs/benchmarks.md).
 */
interface RouteGroups {
  minute: number
  route: Rollup
  all: Rollup
}

/** A series' figures for one minute, waiting to be written. */
interface PendingRollup {
  kind: number
  name: string
  minute: number
  rollup: Rollup
}

/**
 * A web service's request history (and, with `tracker`, its operations'), in SQLite: pass it to
 * the middleware and the dashboard as `history`. Queries take a window of the last `days` days
 * (1 to 365, default 7).
 */
export type {
  Grade,
  HealthScore,
  Severity,
  SeverityBands,
} from '../core/health.js'
export type {
  CacheEffectiveness,
  HistoryHealth,
  HistoryOverview,
  HistoryWindow,
  RotateResult,
  RouteShare,
  RouteSummary,
  StatusClasses,
  StorageInfo,
  TrendPoint,
} from '../core/history.js'
export type { HistoryStoreOptions }

export class HistoryStore implements RequestSink {
  /** The database file, absolute. */
  readonly path: string
  private readonly options: ReturnType<typeof checkOptions>
  private readonly bands: SeverityBands
  private readonly logger: SafeLogger
  private readonly db: Database
  private readonly statements: ReturnType<typeof prepare>
  private readonly seriesIds = new Map<string, number>()
  private readonly cursor = new Map<string, number>()
  /** Route names seen by this store: the tracker's operations of the same name are not doubled. */
  private readonly routeNames = new Set<string>()
  private pending: RequestRecord[] = []
  /** Rollups (and raw records) of a flush that failed, written with the next one. */
  private unwritten = new Map<string, PendingRollup>()
  private unwrittenRaw: RequestRecord[] = []
  private dropped = 0
  private readonly failures = new RateLimiter(60_000)
  private closed = false
  private readonly flushTimer: NodeJS.Timeout
  private readonly retentionTimer: NodeJS.Timeout

  constructor(options: HistoryStoreOptions = {}) {
    this.options = checkOptions(options)
    this.bands = { ...DEFAULT_SEVERITY_BANDS, ...this.options.severityBands }
    this.path = resolve(this.options.path)
    this.logger = new SafeLogger(this.options.logger ?? createDefaultLogger())
    this.db = open(loadDriver(), this.path, this.options.busyTimeoutMs)
    this.statements = prepare(this.db)
    this.applyRetention()
    this.flushTimer = setInterval(() => this.flush(), this.options.flushIntervalMs).unref()
    this.retentionTimer = setInterval(() => this.applyRetention(), DAY_MS).unref()
    closeAtExit(this)
  }

  /** The request path: appends the record to the buffer (no I/O). A bad record throws. */
  recordRequest(record: RequestRecord): void {
    if (this.closed) return
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.route !== 'string' ||
      !(record.durationMs >= 0 && record.durationMs < Number.POSITIVE_INFINITY) ||
      !Number.isFinite(record.endedAtMs)
    ) {
      throw new InvalidArgumentError(
        'record',
        'a RequestRecord (route, durationMs >= 0, endedAtMs)',
        record,
      )
    }
    if (this.pending.length >= this.options.maxPending) {
      this.dropped++
      return
    }
    this.pending.push(record)
  }

  /**
   * Writes the buffered requests and the tracker's new samples in one transaction. Never throws:
   * a failure is logged (rate-limited) and the data is kept for the next flush.
   */
  flush(): void {
    if (this.closed) return
    const records = this.pending
    this.pending = []
    const groups = this.unwritten
    this.unwritten = new Map()
    const raw = this.options.keepRaw ? this.unwrittenRaw.concat(records) : this.unwrittenRaw
    this.unwrittenRaw = []
    try {
      const recent = new Map<string, RouteGroups>()
      for (const record of records) this.addRecord(groups, recent, record)
      this.addTrackerSamples(groups)
      if (groups.size === 0 && raw.length === 0) return
      this.write(groups, raw)
    } catch (error) {
      this.unwritten = groups
      this.unwrittenRaw = raw.slice(-this.options.maxPending)
      this.report(error, 'could not be written; the requests are kept for the next flush')
    }
  }

  /** Flushes and closes the database; the store records nothing after. Idempotent. */
  close(): void {
    if (this.closed) return
    this.flush()
    this.closed = true
    clearInterval(this.flushTimer)
    clearInterval(this.retentionTimer)
    openStores.delete(this)
    try {
      this.db.close()
    } catch (error) {
      this.report(error, 'could not be closed')
    }
  }

  /** Deletes what is older than `days` days (default: `retentionDays`) from every table. */
  rotate(days: number = this.options.retentionDays): RotateResult {
    if (!Number.isInteger(days) || days < 1) {
      throw new InvalidArgumentError('days', 'an integer >= 1', days)
    }
    this.flush()
    const beforeMs = this.now() - days * DAY_MS
    const beforeMinute = Math.floor(beforeMs / MINUTE_MS)
    let deletedRows = 0
    this.db.transaction(() => {
      const deleted: Record<string, number> = {}
      for (const tier of TIERS) {
        // A row goes when its whole span is before the cut.
        const before = Math.floor(beforeMinute / tier.spanMinutes)
        deleted[tier.table] = -(this.statements.deleteBefore[tier.table]?.run(before).changes ?? 0)
      }
      deleted.route_metrics = -this.statements.deleteRawBefore.run(beforeMs).changes
      for (const change of Object.values(deleted)) deletedRows -= change
      this.addRowCounts(deleted)
    })()
    return { beforeMs, deletedRows }
  }

  /** The file's size, the rows per table, the oldest and newest minute, the buffer. */
  storageInfo(): StorageInfo {
    const rows = Object.fromEntries(
      (this.statements.rowCounts.all() as Array<{ key: string; value: number }>).map((row) => [
        row.key.slice('rows '.length),
        row.value,
      ]),
    )
    const range = this.statements.minuteRange.get() as {
      oldest: number | null
      newest: number | null
    }
    return {
      path: this.path,
      fileBytes: fileSize(this.path) + fileSize(`${this.path}-wal`),
      retentionDays: this.options.retentionDays,
      keepRaw: this.options.keepRaw,
      rows: {
        minute: rows.rollup_minute ?? 0,
        hour: rows.rollup_hour ?? 0,
        day: rows.rollup_day ?? 0,
        raw: rows.route_metrics ?? 0,
      },
      oldestMs: range.oldest === null ? null : range.oldest * MINUTE_MS,
      newestMs: range.newest === null ? null : range.newest * MINUTE_MS,
      pending: this.pending.length,
      dropped: this.dropped,
    }
  }

  /** The whole service over the window: routes, requests, average and P95, cache, errors, slowest route. */
  overview(window?: HistoryWindow): HistoryOverview {
    const days = windowDays(window)
    const routes = this.collect(ROUTE, days)
    const all = new Rollup()
    let slowestRoute: HistoryOverview['slowestRoute'] = null
    for (const [route, rollup] of routes) {
      all.merge(rollup)
      const p95Ms = rollup.quantile(0.95)
      // The highest P95; of equal ones, the first by name (as slowestRoutes() orders them).
      if (
        slowestRoute === null ||
        p95Ms > slowestRoute.p95Ms ||
        (p95Ms === slowestRoute.p95Ms && compareNames(route, slowestRoute.route) < 0)
      ) {
        slowestRoute = { route, p95Ms }
      }
    }
    const empty = all.count === 0
    return {
      days,
      routes: routes.size,
      requests: all.count,
      averageMs: empty ? null : all.sumMs / all.count,
      p95Ms: empty ? null : all.quantile(0.95),
      cacheHitRate: empty ? null : all.cacheHits / all.count,
      errorRate: empty ? null : all.errors / all.count,
      slowestRoute,
    }
  }

  /** One route over the window; undefined when it had no request in it. */
  routeStats(route: string, window?: HistoryWindow): RouteSummary | undefined {
    const days = windowDays(window)
    const id = this.knownSeries(ROUTE, route)
    const rollup = this.collect(ROUTE, days, id).get(route)
    return rollup === undefined ? undefined : this.summarize(route, rollup)
  }

  /** Every route with requests in the window, by name. */
  allRoutes(window?: HistoryWindow): RouteSummary[] {
    return this.summaries(ROUTE, windowDays(window))
  }

  /** Every tracker operation with samples in the window (`tracker` option), by name. */
  allOperations(window?: HistoryWindow): RouteSummary[] {
    return this.summaries(OPERATION, windowDays(window))
  }

  /** The `limit` routes with the highest P95 (each with its severity), slowest first. */
  slowestRoutes(limit = 10, window?: HistoryWindow): RouteSummary[] {
    if (!Number.isInteger(limit) || limit < 0) {
      throw new InvalidArgumentError('limit', 'an integer >= 0', limit)
    }
    return this.allRoutes(window)
      .sort((a, b) => b.p95Ms - a.p95Ms || compareNames(a.route, b.route))
      .slice(0, limit)
  }

  /** Hourly requests, average and P95 of one route or of all, oldest first; hours without requests are left out. */
  trend(options: { route?: string; days?: number } = {}): TrendPoint[] {
    const days = windowDays(options)
    const route = options.route
    const id =
      route === undefined
        ? this.seriesId(ALL_ROUTES, ALL_ROUTES_NAME, false)
        : this.knownSeries(ROUTE, route)
    if (id === undefined) return [] // no request recorded yet
    const { fromMinute, toMinute } = this.window(days)
    const rows = this.statements.trend.all(
      id,
      Math.floor(fromMinute / 60),
      Math.ceil(toMinute / 60),
    ) as RollupRow[]
    // One rollup for every row: its digest is BUCKETS doubles to allocate and collect otherwise.
    const rollup = new Rollup()
    return rows.map((row) => {
      rollup.clear()
      addRow(rollup, row)
      return {
        hourMs: row[1] * 60 * MINUTE_MS,
        requests: rollup.count,
        averageMs: rollup.sumMs / rollup.count,
        p95Ms: rollup.quantile(0.95),
      }
    })
  }

  /** Routes by cache hit rate: effective (>= 70 %), ineffective (some hits), none. */
  cacheEffectiveness(window?: HistoryWindow): CacheEffectiveness {
    const days = windowDays(window)
    const result: CacheEffectiveness = {
      days,
      effectiveFrom: EFFECTIVE_CACHE,
      effective: [],
      ineffective: [],
      none: [],
    }
    const byRequests = this.allRoutes({ days }).sort(
      (a, b) => b.requests - a.requests || compareNames(a.route, b.route),
    )
    for (const route of byRequests) {
      const use = {
        route: route.route,
        requests: route.requests,
        cacheHits: route.cacheHits,
        hitRate: route.cacheHitRate,
      }
      if (route.cacheHits === 0) result.none.push(use)
      else if (route.cacheHitRate >= EFFECTIVE_CACHE) result.effective.push(use)
      else result.ineffective.push(use)
    }
    return result
  }

  /** Every route by requests, most first, with its share of all requests. */
  routeComparison(window?: HistoryWindow): RouteShare[] {
    const routes = this.allRoutes(window)
    const total = routes.reduce((sum, route) => sum + route.requests, 0)
    return routes
      .sort((a, b) => b.requests - a.requests || compareNames(a.route, b.route))
      .map((route) => ({ ...route, share: route.requests / total }))
  }

  /** The health score and grade of the window (docs/http.md#the-health-score). */
  healthScore(window?: HistoryWindow): HistoryHealth {
    const overview = this.overview(window)
    const usesCache = this.options.usesCache
    const cacheHitRate =
      overview.cacheHitRate === null ||
      usesCache === false ||
      (usesCache === 'auto' && overview.cacheHitRate === 0)
        ? null
        : overview.cacheHitRate
    return {
      days: overview.days,
      requests: overview.requests,
      averageMs: overview.averageMs,
      cacheHitRate,
      errorRate: overview.errorRate,
      health:
        overview.averageMs === null || overview.errorRate === null
          ? null
          : healthScore({
              averageMs: overview.averageMs,
              cacheHitRate,
              errorRate: overview.errorRate,
            }),
    }
  }

  private now(): number {
    return this.options.clock()
  }

  /** The window's minutes: the last `days` days to the end of the current minute. */
  private window(days: number): { fromMinute: number; toMinute: number } {
    const toMinute = Math.floor(this.now() / MINUTE_MS) + 1
    return { fromMinute: toMinute - days * 1440, toMinute }
  }

  /** Every series of a kind (or the one with `id`) merged over the window, by name. */
  private collect(kind: number, days: number, id?: number): Map<string, Rollup> {
    const { fromMinute, toMinute } = this.window(days)
    // Nothing is stored after the current minute (a request is recorded once it has ended), so
    // the window's end is read from the current day's row rather than from the day's hours and
    // the hour's minutes: up to 81 rows fewer per series (a 7-day query reads about half).
    const spans = splitWindow(fromMinute, Math.ceil(toMinute / 1440) * 1440)
    const names = this.seriesNames()
    const merged = new Map<string, Rollup>()
    const read = (table: string, span: Span) => {
      const rows = (
        id === undefined
          ? this.statements.byKind[table]?.all(kind, span.from, span.to)
          : this.statements.bySeries[table]?.all(id, span.from, span.to)
      ) as RollupRow[]
      for (const row of rows) {
        const name = names.get(row[0]) as string
        let rollup = merged.get(name)
        if (rollup === undefined) {
          rollup = new Rollup()
          merged.set(name, rollup)
        }
        addRow(rollup, row)
      }
    }
    for (const span of spans.minutes) read('rollup_minute', span)
    for (const span of spans.hours) read('rollup_hour', span)
    for (const span of spans.days) read('rollup_day', span)
    return merged
  }

  private summaries(kind: number, days: number): RouteSummary[] {
    return [...this.collect(kind, days)]
      .map(([name, rollup]) => this.summarize(name, rollup))
      .sort((a, b) => compareNames(a.route, b.route))
  }

  private summarize(route: string, rollup: Rollup): RouteSummary {
    const p95Ms = rollup.quantile(0.95)
    const statusClasses = Object.fromEntries(
      STATUS_CLASSES.map((name, i) => [name, rollup.statuses[i] as number]),
    ) as unknown as RouteSummary['statusClasses']
    return {
      route,
      requests: rollup.count,
      averageMs: rollup.sumMs / rollup.count,
      minMs: rollup.minMs,
      maxMs: rollup.maxMs,
      p50Ms: rollup.quantile(0.5),
      p95Ms,
      p99Ms: rollup.quantile(0.99),
      errors: rollup.errors,
      errorRate: rollup.errors / rollup.count,
      cacheHits: rollup.cacheHits,
      cacheHitRate: rollup.cacheHits / rollup.count,
      aborted: rollup.aborted,
      statusClasses,
      severity: severityOf(p95Ms, this.bands),
    }
  }

  /** The id of a route, throwing `UnknownRouteError` when this database has never seen it. */
  private knownSeries(kind: number, route: string): number {
    if (typeof route !== 'string') throw new InvalidArgumentError('route', 'a string', route)
    const id = this.seriesId(kind, route, false)
    if (id === undefined) throw new UnknownRouteError(route)
    return id
  }

  /** A series' id, created when `create` (inside the flush's transaction). */
  private seriesId(kind: number, name: string, create: boolean): number | undefined {
    const key = `${kind}\u0000${name}`
    let id = this.seriesIds.get(key)
    if (id === undefined) {
      if (create) this.statements.insertSeries.run(kind, name)
      const row = this.statements.seriesId.get(kind, name) as { id: number } | undefined
      id = row?.id
      if (id !== undefined) this.seriesIds.set(key, id)
    }
    return id
  }

  /** Every series' name by id (a few hundred rows: read per query, so other writers' series show). */
  private seriesNames(): Map<number, string> {
    const rows = this.statements.allSeries.all() as Array<{ id: number; name: string }>
    return new Map(rows.map((row) => [row.id, row.name]))
  }

  private addRecord(
    groups: Map<string, PendingRollup>,
    recent: Map<string, RouteGroups>,
    record: RequestRecord,
  ): void {
    const minute = Math.floor(record.endedAtMs / MINUTE_MS)
    let last = recent.get(record.route)
    if (last === undefined || last.minute !== minute) {
      this.routeNames.add(record.route)
      last = {
        minute,
        route: pendingRollup(groups, ROUTE, record.route, minute),
        all: pendingRollup(groups, ALL_ROUTES, ALL_ROUTES_NAME, minute),
      }
      recent.set(record.route, last)
    }
    const { durationMs, statusCode, isError, isCacheHit, isAborted } = record
    last.route.addRequest(durationMs, statusCode, isError, isCacheHit, isAborted)
    last.all.addRequest(durationMs, statusCode, isError, isCacheHit, isAborted)
  }

  private addTrackerSamples(groups: Map<string, PendingRollup>): void {
    const tracker = this.options.tracker
    if (tracker === undefined) return
    const minute = Math.floor(this.now() / MINUTE_MS)
    for (const batch of tracker.samplesSince(this.cursor)) {
      if (this.routeNames.has(batch.operation)) continue
      pendingRollup(groups, OPERATION, batch.operation, minute).addSamples(
        batch.count,
        batch.durationsMs,
        batch.failures,
      )
    }
  }

  private write(groups: Map<string, PendingRollup>, raw: RequestRecord[]): void {
    this.db
      .transaction(() => {
        const inserted: Record<string, number> = { route_metrics: raw.length }
        for (const group of groups.values()) {
          const id = this.seriesId(group.kind, group.name, true) as number
          const r = group.rollup
          const digest = encodeDigest(r.buckets)
          // All routes together serve the hourly trend only.
          for (const tier of group.kind === ALL_ROUTES ? [HOUR_TIER] : TIERS) {
            const row = this.statements.upsert[tier.table]?.get(
              id,
              Math.floor(group.minute / tier.spanMinutes),
              r.count,
              r.sumMs,
              r.minMs,
              r.maxMs,
              r.errors,
              r.cacheHits,
              r.aborted,
              ...r.statuses,
              digest,
            ) as { count: number }
            // The row's count is the delta's only when the upsert inserted it (every delta counts
            // at least one request): so the row counts of storageInfo() need no count(*).
            if (row.count === r.count) inserted[tier.table] = (inserted[tier.table] ?? 0) + 1
          }
        }
        for (const record of raw) {
          this.statements.insertRaw.run(
            record.endedAtMs,
            record.route,
            record.method,
            record.durationMs,
            record.statusCode,
            record.isCacheHit ? 1 : 0,
            record.isError ? 1 : 0,
            record.isAborted ? 1 : 0,
          )
        }
        this.addRowCounts(inserted)
      })
      .immediate()
  }

  /** Adds to the row counts kept in `meta` (negative for deletions), in the caller's transaction. */
  private addRowCounts(changes: Record<string, number>): void {
    for (const [table, change] of Object.entries(changes)) {
      if (change !== 0) this.statements.addRows.run(change, `rows ${table}`)
    }
  }

  private applyRetention(): void {
    try {
      this.rotate(this.options.retentionDays)
    } catch (error) {
      this.report(error, 'could not apply its retention')
    }
  }

  /** Logs a failure of the store at `error`, at most once a minute with the count held back. */
  private report(error: unknown, what: string): void {
    const suppressed = this.failures.take(this.now())
    if (suppressed < 0) return
    this.logger.error(
      { code: ERROR_CODES.historyFile, path: this.path, err: error, suppressed },
      `perfwatch history ${this.path} ${what}`,
    )
  }
}

/** The stores still open: one `exit` listener flushes and closes them all (better-sqlite3 is synchronous). */
const openStores = new Set<HistoryStore>()

function closeAtExit(store: HistoryStore): void {
  if (openStores.size === 0 && !process.listeners('exit').includes(closeOpenStores)) {
    process.on('exit', closeOpenStores)
  }
  openStores.add(store)
}

function closeOpenStores(): void {
  for (const store of [...openStores]) store.close()
}

/** Opens (creating or migrating) the database, or throws `HistoryFileError` leaving the file as it is. */
function open(Driver: DatabaseConstructor, path: string, timeout: number): Database {
  mkdirSync(dirname(path), { recursive: true })
  let db: Database
  try {
    db = new Driver(path, { timeout })
  } catch (error) {
    throw new HistoryFileError(path, 'cannot be opened', error)
  }
  try {
    const applicationId = db.pragma('application_id', { simple: true }) as number
    const version = db.pragma('user_version', { simple: true }) as number
    if (applicationId !== HISTORY_APPLICATION_ID && applicationId !== 0) {
      throw new HistoryFileError(
        path,
        'is an SQLite database of another application; left as it is',
      )
    }
    if (version > HISTORY_SCHEMA_VERSION) {
      throw new HistoryFileError(
        path,
        `has schema version ${version}, newer than this perfwatch's ${HISTORY_SCHEMA_VERSION}: ` +
          'left as it is (a newer perfwatch wrote it)',
      )
    }
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.function('perfwatch_merge_digest', { deterministic: true }, ((
      a: Uint8Array,
      b: Uint8Array,
    ) => mergeEncodedDigests(a, b)) as (...args: never[]) => unknown)
    migrate(db, path)
    return db
  } catch (error) {
    db.close()
    if (error instanceof HistoryFileError) throw error
    throw new HistoryFileError(
      path,
      'is not a perfwatch history database (or cannot be read); left as it is',
      error,
    )
  }
}

/** Runs the missing migrations in one immediate transaction (another process may be doing the same). */
function migrate(db: Database, path: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version === 0) {
      const tables = db
        .prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'")
        .get() as {
        n: number
      }
      if (tables.n > 0) {
        throw new HistoryFileError(
          path,
          'is an SQLite database of another application; left as it is',
        )
      }
      db.pragma(`application_id = ${HISTORY_APPLICATION_ID}`)
    }
    for (let from = version; from < HISTORY_SCHEMA_VERSION; from++) {
      db.exec(MIGRATIONS[from] as string)
    }
    db.pragma(`user_version = ${HISTORY_SCHEMA_VERSION}`)
  }).immediate()
}

function prepare(db: Database) {
  const columns =
    'count, sum_ms, min_ms, max_ms, errors, cache_hits, aborted, s1xx, s2xx, s3xx, s4xx, s5xx, digest'
  const perTier = (sql: (table: string) => string, isRaw = false) =>
    Object.fromEntries(
      TIERS.map((tier) => {
        const statement = db.prepare(sql(tier.table))
        return [tier.table, isRaw ? statement.raw(true) : statement]
      }),
    ) as Record<string, Statement>
  return {
    insertSeries: db.prepare('INSERT OR IGNORE INTO series (kind, name) VALUES (?, ?)'),
    seriesId: db.prepare('SELECT id FROM series WHERE kind = ? AND name = ?'),
    allSeries: db.prepare('SELECT id, name FROM series'),
    upsert: perTier(
      (table) => `INSERT INTO ${table} (series, t, ${columns})
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (series, t) DO UPDATE SET
          count = count + excluded.count,
          sum_ms = sum_ms + excluded.sum_ms,
          min_ms = min(min_ms, excluded.min_ms),
          max_ms = max(max_ms, excluded.max_ms),
          errors = errors + excluded.errors,
          cache_hits = cache_hits + excluded.cache_hits,
          aborted = aborted + excluded.aborted,
          s1xx = s1xx + excluded.s1xx,
          s2xx = s2xx + excluded.s2xx,
          s3xx = s3xx + excluded.s3xx,
          s4xx = s4xx + excluded.s4xx,
          s5xx = s5xx + excluded.s5xx,
          digest = perfwatch_merge_digest(digest, excluded.digest)
        RETURNING count`,
    ),
    byKind: perTier(
      (table) => `SELECT series, t, ${columns} FROM ${table}
        WHERE series IN (SELECT id FROM series WHERE kind = ?) AND t >= ? AND t < ?`,
      true,
    ),
    bySeries: perTier(
      (table) => `SELECT series, t, ${columns} FROM ${table} WHERE series = ? AND t >= ? AND t < ?`,
      true,
    ),
    deleteBefore: perTier(
      (table) => `DELETE FROM ${table} WHERE series IN (SELECT id FROM series) AND t < ?`,
    ),
    trend: db
      .prepare(
        `SELECT series, t, ${columns} FROM rollup_hour WHERE series = ? AND t >= ? AND t < ? ORDER BY t`,
      )
      .raw(true),
    insertRaw: db.prepare(
      `INSERT INTO route_metrics (timestamp, route, method, duration_ms, status_code, cache_hit, error, aborted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deleteRawBefore: db.prepare('DELETE FROM route_metrics WHERE timestamp < ?'),
    rowCounts: db.prepare("SELECT key, value FROM meta WHERE key LIKE 'rows %'"),
    addRows: db.prepare('UPDATE meta SET value = value + ? WHERE key = ?'),
    // Per series through the primary key: a min(t) over the whole table would read every row.
    minuteRange: db.prepare(
      `SELECT min((SELECT min(t) FROM rollup_minute WHERE series = s.id)) AS oldest,
              max((SELECT max(t) FROM rollup_minute WHERE series = s.id)) AS newest
       FROM series AS s`,
    ),
  }
}

function pendingRollup(
  groups: Map<string, PendingRollup>,
  kind: number,
  name: string,
  minute: number,
): Rollup {
  const key = `${kind}\u0000${minute}\u0000${name}`
  let group = groups.get(key)
  if (group === undefined) {
    group = { kind, name, minute, rollup: new Rollup() }
    groups.set(key, group)
  }
  return group.rollup
}

/** Adds one stored row to a rollup. */
function addRow(rollup: Rollup, row: RollupRow): void {
  rollup.count += row[2]
  rollup.sumMs += row[3]
  rollup.minMs = Math.min(rollup.minMs, row[4])
  rollup.maxMs = Math.max(rollup.maxMs, row[5])
  rollup.errors += row[6]
  rollup.cacheHits += row[7]
  rollup.aborted += row[8]
  for (let i = 0; i < 5; i++) {
    rollup.statuses[i] = (rollup.statuses[i] as number) + (row[9 + i] as number)
  }
  rollup.digestCount += addEncodedDigest(row[14], rollup.buckets)
}

/** A window's days: an integer from 1 to 365, default 7. */
function windowDays(window: HistoryWindow | undefined): number {
  const days = window?.days ?? 7
  if (!Number.isInteger(days) || days < 1 || days > MAX_WINDOW_DAYS) {
    throw new InvalidArgumentError('days', `an integer from 1 to ${MAX_WINDOW_DAYS}`, days)
  }
  return days
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
