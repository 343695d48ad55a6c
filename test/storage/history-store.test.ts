import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RequestRecord } from '../../src/http/request-record.js'
import {
  ERROR_CODES,
  HistoryFileError,
  InvalidArgumentError,
  InvalidOptionError,
  UnknownRouteError,
} from '../../src/index.js'
import {
  HISTORY_SCHEMA_VERSION,
  HistoryStore,
  type HistoryStoreOptions,
} from '../../src/storage/history-store.js'
import { ERROR, logSink } from '../helpers/log-sink.js'
import { thrownBy } from '../helpers/thrown.js'
import { tempDir } from '../helpers/tmp.js'
import { testTracker } from '../helpers/tracker.js'

const Database = createRequire(import.meta.url)('better-sqlite3') as new (
  path: string,
  options?: { timeout?: number },
) => {
  prepare(sql: string): { all(...args: unknown[]): unknown[]; get(...args: unknown[]): unknown }
  exec(sql: string): void
  pragma(sql: string): unknown
  close(): void
}

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
/** Noon UTC on a Monday. */
const NOON = Date.UTC(2026, 11, 7, 12, 0)

/** A store in a fresh folder on a settable clock, logging into a parsed sink. */
function history(options: HistoryStoreOptions = {}) {
  const clock = { now: NOON }
  const sink = logSink()
  const path = join(tempDir(), 'history.db')
  const store = new HistoryStore({
    path,
    clock: () => clock.now,
    logger: sink.logger,
    ...options,
  })
  return { store, clock, path, lines: sink.lines }
}

/** Within the digest's 1 % of `expected`. */
function expectNear(actual: number | undefined, expected: number): void {
  expect(Math.abs((actual ?? Number.NaN) / expected - 1)).toBeLessThanOrEqual(0.01)
}

function request(route: string, durationMs: number, fields: Partial<RequestRecord> = {}) {
  return {
    route,
    method: route.split(' ')[0] ?? 'GET',
    statusCode: 200,
    durationMs,
    isCacheHit: false,
    isError: false,
    isAborted: false,
    endedAtMs: NOON,
    ...fields,
  }
}

describe('HistoryStore queries', () => {
  it('gives the overview of every route over the window', () => {
    const { store } = history()
    for (let i = 1; i <= 100; i++) store.recordRequest(request('GET /fast', i))
    for (let i = 0; i < 10; i++) {
      store.recordRequest(request('POST /slow', 800, { statusCode: 503, isError: true }))
    }
    store.recordRequest(request('GET /fast', 50, { isCacheHit: true }))
    store.flush()
    const overview = store.overview()
    expect(overview).toMatchObject({ days: 7, routes: 2, requests: 111 })
    expect(overview.averageMs).toBeCloseTo((5050 + 8000 + 50) / 111, 9)
    expect(overview.cacheHitRate).toBeCloseTo(1 / 111, 12)
    expect(overview.errorRate).toBeCloseTo(10 / 111, 12)
    expect(overview.slowestRoute).toEqual({ route: 'POST /slow', p95Ms: 800 })
    // Sorted, the 111 durations' element at rank 0.95 · 110 = 104.5 → 104 (0-based) is 800.
    expect(overview.p95Ms).toBe(800)
  })

  it('gives each route its statistics, quantiles within 1 %', () => {
    const { store } = history()
    for (let i = 1; i <= 1000; i++) {
      store.recordRequest(
        request('GET /users/:id', i, {
          statusCode: i % 50 === 0 ? 500 : i % 10 === 0 ? 404 : 200,
          isError: i % 50 === 0,
          isCacheHit: i % 4 === 0,
          isAborted: i === 7,
        }),
      )
    }
    store.flush()
    const stats = store.routeStats('GET /users/:id')
    expect(stats).toMatchObject({
      route: 'GET /users/:id',
      requests: 1000,
      averageMs: 500.5,
      minMs: 1,
      maxMs: 1000,
      errors: 20,
      errorRate: 0.02,
      cacheHits: 250,
      cacheHitRate: 0.25,
      aborted: 1,
      statusClasses: { '1xx': 0, '2xx': 900, '3xx': 0, '4xx': 80, '5xx': 20 },
      severity: 'slow',
    })
    // R-7 of 1..1000: 500.5, 950.05, 990.01.
    expectNear(stats?.p50Ms, 500.5)
    expectNear(stats?.p95Ms, 950.05)
    expectNear(stats?.p99Ms, 990.01)
  })

  it('counts only what is inside the window, to the minute', () => {
    const { store } = history()
    const at = (agoMs: number) => request('GET /a', 10, { endedAtMs: NOON - agoMs })
    store.recordRequest(at(0))
    store.recordRequest(at(23 * HOUR + 59 * MINUTE)) // inside 1 day
    store.recordRequest(at(DAY + MINUTE)) // just outside 1 day
    store.recordRequest(at(6 * DAY + 3 * HOUR + 17 * MINUTE))
    store.recordRequest(at(7 * DAY + 2 * MINUTE)) // just outside 7 days
    store.recordRequest(at(29 * DAY + 13 * HOUR))
    store.recordRequest(at(400 * DAY)) // beyond any window (and the retention)
    store.flush()
    expect(store.overview({ days: 1 }).requests).toBe(2)
    expect(store.overview({ days: 2 }).requests).toBe(3)
    expect(store.overview().requests).toBe(4)
    expect(store.overview({ days: 8 }).requests).toBe(5)
    expect(store.overview({ days: 30 }).requests).toBe(6)
    expect(store.overview({ days: 365 }).requests).toBe(6)
  })

  it('lists routes by name and ties by name, whatever order they came in', () => {
    const { store } = history()
    for (const route of ['GET /z', 'GET /b', 'GET /m']) store.recordRequest(request(route, 40))
    store.recordRequest(request('GET /m', 40))
    store.flush()
    expect(store.allRoutes().map((r) => r.route)).toEqual(['GET /b', 'GET /m', 'GET /z'])
    expect(store.slowestRoutes().map((r) => r.route)).toEqual(['GET /b', 'GET /m', 'GET /z'])
    expect(store.overview().slowestRoute).toEqual({ route: 'GET /b', p95Ms: 40 })
    expect(store.routeComparison().map((r) => r.route)).toEqual(['GET /m', 'GET /b', 'GET /z'])
    expect(store.cacheEffectiveness().none.map((r) => r.route)).toEqual([
      'GET /m',
      'GET /b',
      'GET /z',
    ])
  })

  it('sorts the slowest routes by P95 with their severity, and takes a limit', () => {
    const { store } = history({ severityBands: { warningMs: 50 } })
    const p95s = { 'GET /a': 20, 'GET /b': 1500, 'GET /c': 700, 'GET /d': 300, 'GET /e': 60 }
    for (const [route, ms] of Object.entries(p95s)) store.recordRequest(request(route, ms))
    store.flush()
    const slowest = store.slowestRoutes()
    expect(slowest.map((r) => [r.route, r.severity])).toEqual([
      ['GET /b', 'critical'],
      ['GET /c', 'slow'],
      ['GET /d', 'warning'],
      ['GET /e', 'warning'],
      ['GET /a', 'good'],
    ])
    expect(store.slowestRoutes(2).map((r) => r.route)).toEqual(['GET /b', 'GET /c'])
    expect(store.slowestRoutes(0)).toEqual([])
  })

  it('gives the hourly trend of a route and of all routes, oldest first', () => {
    const { store } = history()
    store.recordRequest(request('GET /a', 10, { endedAtMs: NOON - 2 * HOUR + 5 * MINUTE }))
    store.recordRequest(request('GET /a', 30, { endedAtMs: NOON - 2 * HOUR + 50 * MINUTE }))
    store.recordRequest(request('GET /b', 100, { endedAtMs: NOON - 2 * HOUR }))
    store.recordRequest(request('GET /a', 5, { endedAtMs: NOON }))
    store.flush()
    const trend = store.trend({ route: 'GET /a' })
    expect(trend).toEqual([
      { hourMs: NOON - 2 * HOUR, requests: 2, averageMs: 20, p95Ms: trend[0]?.p95Ms },
      { hourMs: NOON, requests: 1, averageMs: 5, p95Ms: 5 },
    ])
    expectNear(trend[0]?.p95Ms, 29) // R-7 of [10, 30]
    expect(store.trend().map((point) => [point.hourMs, point.requests, point.averageMs])).toEqual([
      [NOON - 2 * HOUR, 3, 140 / 3],
      [NOON, 1, 5],
    ])
    expect(store.trend({ route: 'GET /a', days: 1 })).toHaveLength(2)
  })

  it('sorts routes into effective, ineffective and no cache, and compares them by popularity', () => {
    const { store } = history()
    const feed = (route: string, requests: number, hits: number) => {
      for (let i = 0; i < requests; i++)
        store.recordRequest(request(route, 5, { isCacheHit: i < hits }))
    }
    feed('GET /hot', 10, 7) // exactly 70 %: effective
    feed('GET /warm', 20, 13) // 65 %
    feed('GET /cold', 5, 0)
    store.flush()
    const cache = store.cacheEffectiveness()
    expect(cache.effective.map((r) => [r.route, r.hitRate])).toEqual([['GET /hot', 0.7]])
    expect(cache.ineffective.map((r) => [r.route, r.cacheHits])).toEqual([['GET /warm', 13]])
    expect(cache.none.map((r) => r.route)).toEqual(['GET /cold'])
    expect(cache.effectiveFrom).toBe(0.7)
    expect(store.routeComparison().map((r) => [r.route, r.requests, r.share])).toEqual([
      ['GET /warm', 20, 20 / 35],
      ['GET /hot', 10, 10 / 35],
      ['GET /cold', 5, 5 / 35],
    ])
  })

  it('grades the service: 300 ms average, 80 % hits and 2 % errors make 87.4, B+', () => {
    const { store } = history()
    for (let i = 0; i < 100; i++) {
      store.recordRequest(
        request('GET /a', 300, {
          isCacheHit: i < 80,
          isError: i < 2,
          statusCode: i < 2 ? 500 : 200,
        }),
      )
    }
    store.flush()
    const health = store.healthScore()
    expect(health).toMatchObject({ days: 7, requests: 100, averageMs: 300, cacheHitRate: 0.8 })
    expect(health.errorRate).toBeCloseTo(0.02, 12)
    expect(health.health?.score).toBeCloseTo(87.4, 9)
    expect(health.health?.grade).toBe('B+')
  })

  it('leaves the cache out of the grade without hits, unless told the service uses one', () => {
    for (const [usesCache, cacheHitRate, score] of [
      ['auto', null, 100],
      [true, 0, 70],
      [false, null, 100],
    ] as const) {
      const { store } = history({ usesCache })
      store.recordRequest(request('GET /a', 50))
      store.flush()
      const health = store.healthScore()
      expect(health.cacheHitRate).toBe(cacheHitRate)
      expect(health.health?.score).toBeCloseTo(score, 9)
    }
    const auto = history().store // usesCache defaults to 'auto'
    auto.recordRequest(request('GET /a', 50))
    auto.flush()
    expect(auto.healthScore().health?.score).toBeCloseTo(100, 9)
    const { store } = history({ usesCache: false })
    store.recordRequest(request('GET /a', 50, { isCacheHit: true }))
    store.flush()
    expect(store.healthScore().cacheHitRate).toBeNull()
  })

  it('answers an empty window with nulls and empty lists, never a made-up grade', () => {
    const { store } = history()
    expect(store.overview()).toEqual({
      days: 7,
      routes: 0,
      requests: 0,
      averageMs: null,
      p95Ms: null,
      cacheHitRate: null,
      errorRate: null,
      slowestRoute: null,
    })
    expect(store.healthScore().health).toBeNull()
    expect(store.allRoutes()).toEqual([])
    expect(store.trend()).toEqual([])
    expect(store.routeComparison()).toEqual([])
  })

  it('throws coded errors for a bad window, limit or route, and keeps what it recorded', () => {
    const { store } = history()
    store.recordRequest(request('GET /a', 10))
    for (const days of [0, 366, 1.5, Number.NaN, '7']) {
      const error = thrownBy(() => store.overview({ days } as never))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as Error).message).toContain('days must be an integer from 1 to 365')
    }
    expect(thrownBy(() => store.slowestRoutes(-1))).toBeInstanceOf(InvalidArgumentError)
    expect((thrownBy(() => store.slowestRoutes(2.5)) as Error).message).toBe(
      'limit must be an integer >= 0, got 2.5',
    )
    const unknown = thrownBy(() => store.routeStats('GET /nope'))
    expect(unknown).toBeInstanceOf(UnknownRouteError)
    expect(unknown).toMatchObject({ code: ERROR_CODES.unknownRoute, route: 'GET /nope' })
    expect(thrownBy(() => store.trend({ route: 'GET /nope' }))).toBeInstanceOf(UnknownRouteError)
    expect((thrownBy(() => store.routeStats(7 as never)) as Error).message).toBe(
      'route must be a string, got 7',
    )
    store.flush()
    expect(store.routeStats('GET /a')?.requests).toBe(1)
    // Known, but nothing in the window.
    expect(store.routeStats('GET /a', { days: 1 })).toBeDefined()
  })

  it('knows a route with nothing in the window from one it never saw', () => {
    const { store, clock } = history()
    store.recordRequest(request('GET /a', 10))
    store.flush()
    clock.now += 3 * DAY
    expect(store.routeStats('GET /a', { days: 1 })).toBeUndefined()
    expect(store.routeStats('GET /a')?.requests).toBe(1)
  })
})

describe('HistoryStore writing', () => {
  it('keeps nothing in SQLite until a flush, then everything', () => {
    const { store, path } = history()
    store.recordRequest(request('GET /a', 10))
    expect(store.storageInfo()).toMatchObject({ pending: 1, rows: { minute: 0 } })
    store.flush()
    expect(store.storageInfo()).toMatchObject({
      path,
      pending: 0,
      rows: { minute: 1, hour: 2, day: 1, raw: 0 }, // the route; all routes together per hour only
      oldestMs: NOON,
      newestMs: NOON,
      retentionDays: 90,
      keepRaw: false,
    })
    expect(store.storageInfo().fileBytes).toBeGreaterThan(0)
  })

  it('adds up flushes of the same minute in one row', () => {
    const { store } = history()
    store.recordRequest(request('GET /a', 10))
    store.flush()
    store.recordRequest(request('GET /a', 30, { isCacheHit: true }))
    store.recordRequest(request('GET /a', 20, { isError: true, statusCode: 500 }))
    store.flush()
    expect(store.storageInfo().rows.minute).toBe(1)
    expect(store.routeStats('GET /a')).toMatchObject({
      requests: 3,
      averageMs: 20,
      minMs: 10,
      maxMs: 30,
      cacheHits: 1,
      errors: 1,
    })
    expectNear(store.routeStats('GET /a')?.p50Ms, 20)
  })

  it('survives a restart: a new store on the file reads what the old one wrote', () => {
    const { store, path } = history()
    for (let i = 0; i < 50; i++) store.recordRequest(request('GET /a', 10 + i))
    store.close()
    const again = new HistoryStore({ path, clock: () => NOON })
    expect(again.routeStats('GET /a')).toMatchObject({ requests: 50, minMs: 10, maxMs: 59 })
    again.close()
  })

  it('lets two processes write the same file: their counts and digests add up', () => {
    const { store, path } = history()
    const other = new HistoryStore({ path, clock: () => NOON, flushIntervalMs: 60_000 })
    for (let i = 0; i < 100; i++) {
      store.recordRequest(request('GET /a', 10))
      other.recordRequest(request('GET /a', 1000))
    }
    other.recordRequest(request('GET /b', 5))
    store.flush()
    other.flush()
    const stats = store.routeStats('GET /a')
    expect(stats).toMatchObject({ requests: 200, minMs: 10, maxMs: 1000 })
    // R-7 of 100 × 10 and 100 × 1000: rank 99.5 is halfway between 10 and 1000.
    expectNear(stats?.p50Ms, 505)
    expect(stats?.p95Ms).toBe(1000)
    expect(store.allRoutes().map((r) => r.route)).toEqual(['GET /a', 'GET /b'])
    // The row counts both keep in the file are those of the tables.
    other.rotate(1)
    const db = new Database(path)
    const counted = (table: string) =>
      (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
    expect(store.storageInfo().rows).toEqual({
      minute: counted('rollup_minute'),
      hour: counted('rollup_hour'),
      day: counted('rollup_day'),
      raw: 0,
    })
    expect(store.storageInfo().rows).toEqual({ minute: 2, hour: 3, day: 2, raw: 0 })
    db.close()
    other.close()
  })

  it('keeps one raw row per request with keepRaw, in the route_metrics table', () => {
    const { store, path } = history({ keepRaw: true })
    store.recordRequest(request('GET /a', 12.5, { isCacheHit: true }))
    store.recordRequest(request('POST /b', 40, { statusCode: 502, isError: true, isAborted: true }))
    store.flush()
    expect(store.storageInfo().rows.raw).toBe(2)
    const db = new Database(path)
    expect(db.prepare('SELECT * FROM route_metrics ORDER BY id').all()).toEqual([
      {
        id: 1,
        timestamp: NOON,
        route: 'GET /a',
        method: 'GET',
        duration_ms: 12.5,
        status_code: 200,
        cache_hit: 1,
        error: 0,
        aborted: 0,
      },
      {
        id: 2,
        timestamp: NOON,
        route: 'POST /b',
        method: 'POST',
        duration_ms: 40,
        status_code: 502,
        cache_hit: 0,
        error: 1,
        aborted: 1,
      },
    ])
    db.close()
  })

  it('rolls up the tracker operations, without doubling the routes the middleware records', () => {
    const { tracker } = testTracker()
    const { store } = history({ tracker })
    for (let i = 1; i <= 10; i++) tracker.record('db.query', i, { success: i !== 10 })
    tracker.record('GET /a', 10)
    store.recordRequest(request('GET /a', 10))
    store.flush()
    tracker.record('db.query', 100)
    store.flush()
    expect(store.allOperations().map((o) => [o.route, o.requests, o.errors, o.maxMs])).toEqual([
      ['db.query', 11, 1, 100],
    ])
    expect(store.allRoutes().map((r) => r.route)).toEqual(['GET /a'])
  })

  it('counts every sample of a tracker operation even beyond its window', () => {
    const { tracker } = testTracker({ windowSize: 10, baselineSamples: 5 })
    const { store } = history({ tracker })
    for (let i = 0; i < 25; i++) tracker.record('burst', 4)
    store.flush()
    expect(store.allOperations()[0]).toMatchObject({ route: 'burst', requests: 25, averageMs: 4 })
  })

  it('drops requests beyond maxPending and counts them', () => {
    const { store } = history({ maxPending: 2 })
    for (let i = 0; i < 5; i++) store.recordRequest(request('GET /a', 1))
    expect(store.storageInfo()).toMatchObject({ pending: 2, dropped: 3 })
    store.flush()
    expect(store.routeStats('GET /a')?.requests).toBe(2)
  })

  it('refuses a record that is not one, keeping what it has', () => {
    const { store } = history()
    store.recordRequest(request('GET /a', 1))
    expect((thrownBy(() => store.recordRequest(request('GET /a', -1))) as Error).message).toMatch(
      /^record must be a RequestRecord \(route, durationMs >= 0, endedAtMs\), got /,
    )
    store.recordRequest(request('GET /a', 0)) // 0 ms is a duration
    for (const bad of [
      null,
      'GET /a',
      { ...request('GET /a', 1), route: 7 },
      request('GET /a', -1),
      request('GET /a', Number.NaN),
      request('GET /a', Number.POSITIVE_INFINITY),
      { ...request('GET /a', 1), endedAtMs: Number.NaN },
    ]) {
      const error = thrownBy(() => store.recordRequest(bad as never))
      expect(error).toBeInstanceOf(InvalidArgumentError)
    }
    store.flush()
    expect(store.routeStats('GET /a')?.requests).toBe(2)
  })

  it('logs a flush that fails and writes its requests with the next one', () => {
    const { store, path, lines, clock } = history({ busyTimeoutMs: 0, keepRaw: true })
    const locker = new Database(path)
    locker.exec('BEGIN EXCLUSIVE')
    store.recordRequest(request('GET /a', 10))
    store.flush()
    store.recordRequest(request('GET /a', 20))
    store.flush() // held back: one line a minute
    const failures = lines.filter((line) => line.code === ERROR_CODES.historyFile)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ level: ERROR, path })
    expect(failures[0]?.msg).toContain('could not be written; the requests are kept')
    expect(failures[0]).toMatchObject({ suppressed: 0 })
    clock.now += 60_000 // a minute later (the store's clock): the next line, with the count held back
    store.flush()
    expect(lines.filter((line) => line.code === ERROR_CODES.historyFile).at(-1)).toMatchObject({
      suppressed: 1,
    })
    locker.exec('ROLLBACK')
    locker.close()
    store.flush()
    expect(store.routeStats('GET /a', { days: 1 })).toMatchObject({ requests: 2, averageMs: 15 })
    expect(store.storageInfo().rows.raw).toBe(2)
  })

  it('records nothing after close, and closes once', () => {
    const { store, path, lines } = history()
    store.recordRequest(request('GET /a', 1))
    store.close()
    store.close()
    store.recordRequest(request('GET /a', 1))
    store.flush()
    expect(thrownBy(() => store.overview())).toBeInstanceOf(Error)
    expect(lines).toEqual([])
    const again = new HistoryStore({ path, clock: () => NOON })
    expect(again.routeStats('GET /a')?.requests).toBe(1)
    again.close()
  })

  it('counts the file and its WAL in fileBytes, and has no oldest or newest minute when empty', () => {
    const { store, path } = history()
    expect(store.storageInfo()).toMatchObject({ oldestMs: null, newestMs: null })
    store.recordRequest(request('GET /a', 1))
    store.flush()
    const size = (file: string) => (existsSync(file) ? statSync(file).size : 0)
    expect(size(`${path}-wal`)).toBeGreaterThan(0)
    expect(store.storageInfo().fileBytes).toBe(size(path) + size(`${path}-wal`))
  })
})

describe('HistoryStore retention', () => {
  it('deletes what is older than retentionDays when it opens', () => {
    const { store, path, clock } = history({ retentionDays: 10 })
    store.recordRequest(request('GET /a', 1, { endedAtMs: NOON - 12 * DAY }))
    store.recordRequest(request('GET /a', 1, { endedAtMs: NOON - 3 * DAY }))
    store.close()
    clock.now = NOON
    const again = new HistoryStore({ path, retentionDays: 10, clock: () => NOON })
    expect(again.overview({ days: 30 }).requests).toBe(1)
    expect(again.storageInfo().oldestMs).toBe(NOON - 3 * DAY)
    again.close()
  })

  it('rotates on demand, returning what it deleted', () => {
    const { store } = history()
    store.recordRequest(request('GET /a', 1, { endedAtMs: NOON - 40 * DAY }))
    store.recordRequest(request('GET /a', 1, { endedAtMs: NOON - 5 * DAY }))
    store.recordRequest(request('GET /a', 1))
    store.flush()
    expect(store.storageInfo().rows).toMatchObject({ minute: 3, hour: 6, day: 3 })
    const rotated = store.rotate(30)
    // A minute, two hours (the route's and all routes') and a day.
    expect(rotated).toEqual({ beforeMs: NOON - 30 * DAY, deletedRows: 4 })
    expect(store.overview({ days: 365 }).requests).toBe(2)
    expect(store.rotate(1).deletedRows).toBe(4)
    expect(store.storageInfo().rows).toMatchObject({ minute: 1, hour: 2, day: 1 })
    expect(store.overview({ days: 365 }).requests).toBe(1)
    for (const days of [0, -1, 2.5, '3']) {
      const error = thrownBy(() => store.rotate(days as never))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as Error).message).toMatch(/^days must be an integer >= 1, got /)
    }
  })

  it('keeps an hour or day row while any of its span is inside the retention', () => {
    const { store } = history()
    // 30 days and 10 minutes ago: its minute and hour rows go, its day row (the day of the cut) stays.
    store.recordRequest(request('GET /a', 1, { endedAtMs: NOON - 30 * DAY - 10 * MINUTE }))
    store.flush()
    store.rotate(30)
    expect(store.storageInfo().rows).toMatchObject({ minute: 0, hour: 0, day: 1 })
  })

  it('deletes raw rows with the rollups', () => {
    const { store } = history({ keepRaw: true })
    store.recordRequest(request('GET /a', 1, { endedAtMs: NOON - 40 * DAY }))
    store.recordRequest(request('GET /a', 1))
    store.flush()
    expect(store.rotate(30).deletedRows).toBe(5) // a minute, two hours, a day, a raw row
    expect(store.storageInfo().rows.raw).toBe(1)
  })
})

describe('HistoryStore files it cannot use', () => {
  it('refuses a file that is not SQLite, leaving it as it was', () => {
    const path = join(tempDir(), 'history.db')
    writeFileSync(path, 'not a database, but somebody wants it kept\n'.repeat(200))
    const before = readFileSync(path)
    const error = thrownBy(() => new HistoryStore({ path }))
    expect(error).toBeInstanceOf(HistoryFileError)
    expect(error).toMatchObject({ code: ERROR_CODES.historyFile, path })
    expect((error as Error).message).toBe(
      `History database ${path} is not a perfwatch history database (or cannot be read); left as it is`,
    )
    expect(readFileSync(path)).toEqual(before)
  })

  it("refuses another application's SQLite database", () => {
    const path = join(tempDir(), 'app.db')
    const db = new Database(path)
    db.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)')
    db.close()
    const error = thrownBy(() => new HistoryStore({ path }))
    expect((error as Error).message).toContain('another application')
    const again = new Database(path)
    expect(again.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all()).toEqual([
      { name: 'users' },
    ])
    again.close()
  })

  it('refuses a database marked by another application, even an empty one', () => {
    const path = join(tempDir(), 'app.db')
    const db = new Database(path)
    db.pragma('application_id = 42')
    db.close()
    expect((thrownBy(() => new HistoryStore({ path })) as Error).message).toBe(
      `History database ${path} is an SQLite database of another application; left as it is`,
    )
  })

  it('refuses a schema newer than it knows', () => {
    const { store, path } = history()
    store.close()
    const db = new Database(path)
    db.pragma(`user_version = ${HISTORY_SCHEMA_VERSION + 1}`)
    db.close()
    const error = thrownBy(() => new HistoryStore({ path }))
    expect(error).toBeInstanceOf(HistoryFileError)
    expect((error as Error).message).toContain(
      `has schema version ${HISTORY_SCHEMA_VERSION + 1}, newer than this perfwatch's ${HISTORY_SCHEMA_VERSION}: left as it is (a newer perfwatch wrote it)`,
    )
  })

  it('checks its options before touching any file', () => {
    for (const [options, message] of [
      [{ retentionDays: 0 }, 'retentionDays must be an integer >= 1, got 0'],
      [{ keepraw: true }, 'did you mean keepRaw?'],
      [{ path: '' }, 'path must be a non-empty string'],
      [{ usesCache: 'yes' }, "usesCache must be true, false or 'auto'"],
      [{ severityBands: { warningMs: 700 } }, 'in order warningMs <= slowMs <= criticalMs'],
      [{ severityBands: { slow: 1 } }, 'unknown key "slow"'],
      [{ severityBands: { slowMs: -1 } }, 'severityBands.slowMs must be a number of ms >= 0'],
      [{ flushIntervalMs: 1 }, 'flushIntervalMs must be an integer >= 10'],
      [{ tracker: {} }, 'tracker must be a PerformanceTracker'],
      [{ logger: console.log }, 'logger must be a logger'],
      [{ clock: 5 }, 'clock must be a function'],
      [{ keepRaw: 'yes' }, 'keepRaw must be a boolean'],
      [{ severityBands: 5 }, 'severityBands must be an object'],
      [{ severityBands: null }, 'severityBands must be an object'],
      [{ severityBands: { criticalMs: Number.NaN } }, 'severityBands.criticalMs must be'],
      [{ severityBands: { criticalMs: Number.POSITIVE_INFINITY } }, 'criticalMs must be'],
      [{ severityBands: { slowMs: '5' } }, 'slowMs must be a number'],
      [{ severityBands: { slowMs: 1200 } }, 'got 100, 1200, 1000'],
      [{ maxPending: 0 }, 'maxPending must be an integer >= 1, got 0'],
      [{ busyTimeoutMs: -1 }, 'busyTimeoutMs must be an integer >= 0, got -1'],
      [{ path: 7 }, 'path must be a non-empty string'],
      [{ tracker: null }, 'tracker must be a PerformanceTracker'],
    ] as const) {
      const error = thrownBy(() => new HistoryStore(options as never))
      expect(error).toBeInstanceOf(InvalidOptionError)
      expect((error as Error).message).toContain(message)
    }
    expect(thrownBy(() => new HistoryStore({ severityBands: { slow: 1 } } as never))).toMatchObject(
      { option: 'severityBands' },
    )
    expect(thrownBy(() => new HistoryStore({ severityBands: { slowMs: 2000 } }))).toMatchObject({
      option: 'severityBands',
    })
    for (const bad of [null, 'x']) {
      expect((thrownBy(() => new HistoryStore(bad as never)) as Error).message).toMatch(
        /^options must be an object, got /,
      )
    }
    // Equal bands, and 0, are in order.
    const { store } = history({ severityBands: { warningMs: 0, slowMs: 500, criticalMs: 500 } })
    store.recordRequest(request('GET /a', 500))
    store.recordRequest(request('GET /b', 0.5))
    store.flush()
    expect(store.slowestRoutes().map((r) => r.severity)).toEqual(['slow', 'warning'])
  })
})
