// The history store (perfwatch/history). Four parts, in one process:
// 1. The request path: `store.recordRequest(record)` on pre-built records (the middleware hands
//    over one object per request), in batches of BATCH calls timed with process.hrtime.bigint,
//    against the floor, `array.push` of the same objects, and the call once the buffer is full
//    (maxPending reached: the record is dropped and counted); the cases take turns within each
//    round and the store is flushed between rounds, outside the timed part. ns per call, median
//    of the rounds. Target: under 100 ns.
// 2. A sustained 20,000 requests a second: SECONDS simulated seconds of 20 routes (log-normal
//    durations, cache hits, 4xx, errors, a few aborts; endedAtMs within the second, on an
//    injected clock that crosses a minute), one `flush()` per second, each timed by
//    process.cpuUsage() (the whole process: V8's helper threads too) and wall clock. % of a
//    core = flush CPU per simulated second. Target: under 5 %. Also with keepRaw: true, and
//    with a tracker whose 50 operations got samples.
// 3. Queries over 90 days: a database of 100 routes × 90 days × 1,440 minutes (1,000 requests a
//    second spread over the routes by a Zipf law), written straight with better-sqlite3 into the
//    schema the store creates, in the order the store writes (minute by minute, every series),
//    hour and day rows being the merge of their minutes (each route has 60 minute patterns, the
//    n-th used at the n-th minute of every hour; all routes together, '*', only has hour rows,
//    as the store writes it). Then every query, median of QUERY_RUNS runs after a warm-up,
//    windows of 7, 30 and 90 days, wall clock and process CPU time. Target: under 50 ms each.
//    The rows and the file are the size of 1,000 requests a second over 90 days. The file is
//    deleted afterwards.
// 4. 1,000 requests a day over 90 days (10 routes, random minutes) through the real store
//    (recordRequest, then flush, on an injected clock), with keepRaw false and true: the file's
//    size after close (SQLite then checkpoints the WAL into it and deletes it). Target: 10 MB.
// No gc() before a timed part: a forced full collection made V8 drop the optimised code of the
// flush and of the queries (deopts for "weak objects": the previous flush's objects had died)
// and left its sweeping to helper threads that process.cpuUsage() counts; it tripled the
// measured flush (35-48 ms instead of 11) and doubled the queries. GC is measured where it falls.
// Files go to temp folders under os.tmpdir(). `PERFWATCH_DIST` points at another build;
// BENCH_HISTORY_DAYS shortens part 3 (the figures are then not those of 90 days). Writes
// docs/results/history.{json,md}.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeResult } from './report.mjs'
import { makeRandom, silentLogger as silent } from './sim.mjs'

const dist = process.env.PERFWATCH_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { PerformanceTracker } = await import(join(dist, 'index.js'))
const { HistoryStore } = await import(join(dist, 'storage/history-store.js'))
const { Rollup, encodeDigest, addEncodedDigest } = await import(join(dist, 'storage/rollup.js'))
const Database = createRequire(import.meta.url)('better-sqlite3')

const BATCH = 10_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40)
const WARM_ROUNDS = 5
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60)
const PER_SECOND = 20_000
const BIG_DAYS = Number(process.env.BENCH_HISTORY_DAYS ?? 90)
const BIG_ROUTES = 100
const BIG_PER_SECOND = 1000
const QUERY_RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 5)
const SMALL_DAYS = 90
const SMALL_PER_DAY = 1000

const MINUTE_MS = 60_000
const DAY_MS = 86_400_000
/** The benchmark's "now": a Monday afternoon, mid-minute. */
const END_MS = Date.UTC(2026, 11, 7, 14, 37, 30)
let sink = 0
const quiet = { ...silent, error: (obj, msg) => console.error(msg, obj?.err ?? '') }
/** A store on an injected clock that flushes only when told. */
const openStore = (options) =>
  new HistoryStore({ flushIntervalMs: 3_600_000, logger: quiet, ...options })
const root = mkdtempSync(join(tmpdir(), 'perfwatch-bench-history-'))
const log = (line) => process.stderr.write(`${line}\n`)
/** The machine is shared: its 1-minute load average at the start of each part. */
const loads = {}
const noteLoad = (part) => {
  loads[part] = loadavg()[0]
}

// ---- traffic -----------------------------------------------------------------------------------

const RESOURCES = ['users', 'orders', 'products', 'carts', 'search']
const RESOURCES_MORE = ['invoices', 'payments', 'reviews', 'images', 'sessions']
/**
 * `count` routes sharing `perSecond` requests by a Zipf law (s = 0.8), each with its median
 * (3 to 300 ms, log-uniform), spread (σ 0.3 to 1), cache hit rate (none for 40 % of routes),
 * error (5xx) and 404 rates.
 */
function routeModel(random, count, perSecond) {
  const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** 0.8)
  const total = weights.reduce((a, b) => a + b, 0)
  let cumulative = 0
  return weights.map((weight, i) => {
    const method = i % 5 === 4 ? 'POST' : i % 7 === 6 ? 'PUT' : 'GET'
    const resource = [...RESOURCES, ...RESOURCES_MORE][i % 10]
    cumulative += weight / total
    return {
      route: `${method} /api/v${1 + Math.floor(i / 10)}/${resource}/:id`,
      method,
      perSecond: (perSecond * weight) / total,
      upTo: cumulative,
      medianMs: 3 * Math.exp(random.uniform() * Math.log(100)),
      sigma: 0.3 + 0.7 * random.uniform(),
      cacheHitRate: random.uniform() < 0.4 ? 0 : 0.1 + 0.85 * random.uniform(),
      errorRate: 0.002 + 0.02 * random.uniform() ** 2,
      notFoundRate: 0.01 + 0.03 * random.uniform(),
    }
  })
}

function pickRoute(random, routes) {
  const u = random.uniform()
  for (const route of routes) if (u < route.upTo) return route
  return routes[routes.length - 1]
}

/** One request of `route`, its fields in RequestRecord's order (every adapter's shape). */
function drawRequest(random, route, endedAtMs) {
  const u = random.uniform()
  let statusCode = 200
  let isError = false
  let isCacheHit = false
  let durationMs
  if (u < route.errorRate) {
    statusCode = 500
    isError = true
    durationMs = 2 * route.medianMs * Math.exp(route.sigma * random.normal())
  } else if (u < route.errorRate + route.notFoundRate) {
    statusCode = 404
    durationMs = 0.3 * route.medianMs * Math.exp(0.3 * random.normal())
  } else if (random.uniform() < route.cacheHitRate) {
    isCacheHit = true
    durationMs = 0.05 * route.medianMs * Math.exp(0.3 * random.normal())
  } else {
    durationMs = route.medianMs * Math.exp(route.sigma * random.normal())
  }
  return {
    route: route.route,
    method: route.method,
    statusCode,
    durationMs,
    isCacheHit,
    isError,
    isAborted: random.uniform() < 0.0005,
    endedAtMs,
  }
}

const quantile = (sorted, q) => {
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  return sorted[lo] + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? 0) - sorted[lo])
}
const summarize = (values) => {
  const s = Float64Array.from(values).sort()
  const mean = s.reduce((a, b) => a + b, 0) / s.length
  return {
    mean,
    median: quantile(s, 0.5),
    p95: quantile(s, 0.95),
    min: s[0],
    max: s[s.length - 1],
  }
}
const verdict = (holds) => (holds ? 'met' : '**not met**')

// ---- 1. the request path -----------------------------------------------------------------------

noteLoad('recording')
log('1. recordRequest...')
const random = makeRandom(11)
const requestRoutes = routeModel(random, 20, PER_SECOND)
const records = Array.from({ length: BATCH }, (_, i) =>
  drawRequest(random, pickRoute(random, requestRoutes), END_MS - 1000 + (i * 1000) / BATCH),
)
const pathStore = openStore({ path: join(root, 'request-path.db'), clock: () => END_MS })
const fullStore = openStore({ path: join(root, 'full.db'), clock: () => END_MS, maxPending: 1 })
fullStore.recordRequest(records[0]) // the buffer is full from now on

const PATH_CASES = {
  floor: {
    label: 'floor: `array.push(record)` into a new array',
    batch: () => {
      const buffer = []
      for (let i = 0; i < BATCH; i++) buffer.push(records[i])
      return buffer.length
    },
  },
  record: {
    label: '`store.recordRequest(record)`, buffer below maxPending',
    batch: () => {
      for (let i = 0; i < BATCH; i++) pathStore.recordRequest(records[i])
      return 1
    },
  },
  full: {
    label: '`store.recordRequest(record)`, buffer full (maxPending reached: dropped, counted)',
    batch: () => {
      for (let i = 0; i < BATCH; i++) fullStore.recordRequest(records[i])
      return 1
    },
  },
}
const pathIds = Object.keys(PATH_CASES)
const pathNs = Object.fromEntries(pathIds.map((id) => [id, []]))
let pathFlushMs = 0
for (let round = 0; round < WARM_ROUNDS + ROUNDS; round++) {
  // The cases take turns, each round starting with the next one.
  for (let k = 0; k < pathIds.length; k++) {
    const id = pathIds[(round + k) % pathIds.length]
    const start = process.hrtime.bigint()
    sink ^= PATH_CASES[id].batch()
    const ns = Number(process.hrtime.bigint() - start) / BATCH
    if (round >= WARM_ROUNDS) pathNs[id].push(ns)
  }
  const started = performance.now()
  pathStore.flush() // outside the timed part: the buffer starts each round empty
  pathFlushMs += performance.now() - started
}
const droppedCount = fullStore.storageInfo().dropped
pathStore.close()
fullStore.close()
const pathCosts = Object.fromEntries(
  pathIds.map((id) => {
    const s = summarize(pathNs[id])
    return [id, { label: PATH_CASES[id].label, ...s, raw: pathNs[id] }]
  }),
)
/** Ratio to the floor within each round, median over rounds. */
for (const id of pathIds) {
  const ratios = pathNs[id].map((ns, i) => ns / pathNs.floor[i])
  pathCosts[id].vsFloor = summarize(ratios).median
}
const recordHolds = pathCosts.record.median < 100

// ---- 2. a sustained 20,000 requests a second ---------------------------------------------------

/** SECONDS simulated seconds of PER_SECOND requests, one flush per second, each timed. */
async function sustained(label, options, withTracker) {
  log(`2. ${label}...`)
  const r = makeRandom(21)
  const routes = routeModel(r, 20, PER_SECOND)
  // 15 s before a minute: the run crosses into the next one (new rows, then upserts into them).
  let nowMs = Math.floor(END_MS / MINUTE_MS) * MINUTE_MS - 15_000
  const tracker = withTracker
    ? new PerformanceTracker({ storagePath: null, logger: silent })
    : undefined
  const operations = Array.from({ length: 50 }, (_, i) => ({
    name: `db.query${i}`,
    medianMs: 0.5 + 20 * r.uniform(),
  }))
  const path = join(root, `sustained-${label.replace(/\W+/g, '-')}.db`)
  const store = openStore({ path, clock: () => nowMs, tracker, ...options })
  const cpuUs = []
  const wallMs = []
  for (let second = 0; second < SECONDS; second++) {
    for (let i = 0; i < PER_SECOND; i++) {
      const endedAtMs = nowMs + (1000 * i) / PER_SECOND
      store.recordRequest(drawRequest(r, pickRoute(r, routes), endedAtMs))
    }
    if (tracker !== undefined) {
      for (const operation of operations) {
        for (let i = 0; i < 200; i++) {
          tracker.record(operation.name, operation.medianMs * Math.exp(0.5 * r.normal()))
        }
      }
    }
    nowMs += 1000
    await new Promise((resolve) => setImmediate(resolve)) // the tracker's deferred work
    const cpu = process.cpuUsage()
    const started = performance.now()
    store.flush()
    wallMs.push(performance.now() - started)
    const used = process.cpuUsage(cpu)
    cpuUs.push(used.user + used.system)
  }
  const info = store.storageInfo()
  store.close()
  const cpu = summarize(cpuUs)
  return {
    label,
    seconds: SECONDS,
    perSecond: PER_SECOND,
    trackerSamplesPerSecond: withTracker ? 50 * 200 : 0,
    cpuUs: { ...cpu, raw: cpuUs },
    wallMs: { ...summarize(wallMs), raw: wallMs },
    coreShare: cpu.mean / 1e6,
    rows: info.rows,
    fileBytes: info.fileBytes,
  }
}
noteLoad('flushing')
const flushRuns = [
  await sustained('default options', {}, false),
  await sustained('keepRaw: true', { keepRaw: true }, false),
  await sustained('tracker with 50 operations (10,000 samples/s)', {}, true),
]
const flushHolds = flushRuns[0].coreShare < 0.05

// ---- 3. queries over 90 days of 100 routes -----------------------------------------------------

const bigPath = join(root, 'big.db')
const endMinute = Math.floor(END_MS / MINUTE_MS)
/** The minutes [firstMinute, toMinute): exactly the store's window of BIG_DAYS days at END_MS. */
const toMinute = endMinute + 1
const firstMinute = toMinute - BIG_DAYS * 1440
const PATTERNS = 60

/** The figures of a rollup as the store writes them, after (series, t). */
const rowValues = (rollup) => [
  rollup.count,
  rollup.sumMs,
  rollup.minMs,
  rollup.maxMs,
  rollup.errors,
  rollup.cacheHits,
  rollup.aborted,
  ...rollup.statuses,
  encodeDigest(rollup.buckets),
]

function buildBigDatabase() {
  const started = performance.now()
  openStore({ path: bigPath, clock: () => END_MS }).close() // creates the schema
  const db = new Database(bigPath)
  // Written once, as fast as SQLite goes: no journal; WAL again once done.
  db.pragma('journal_mode = OFF')
  db.pragma('synchronous = OFF')
  db.pragma('cache_size = -262144')
  const r = makeRandom(31)
  const routes = routeModel(r, BIG_ROUTES, BIG_PER_SECOND)
  const insertSeries = db.prepare('INSERT INTO series (kind, name) VALUES (?, ?)')
  const series = routes.map((route) => ({
    id: Number(insertSeries.run(0, route.route).lastInsertRowid),
    name: route.route,
  }))
  series.push({ id: Number(insertSeries.run(2, '*').lastInsertRowid), name: '*' })
  const ALL = series.length - 1
  // Per route, PATTERNS minutes of requests (Poisson counts around its rate); the all-routes
  // series' pattern n is the merge of every route's pattern n.
  const patterns = routes.map((route) =>
    Array.from({ length: PATTERNS }, () => {
      const rollup = new Rollup()
      const mean = route.perSecond * 60
      const n = Math.max(1, Math.round(mean + Math.sqrt(mean) * r.normal()))
      for (let i = 0; i < n; i++) {
        const q = drawRequest(r, route, 0)
        rollup.addRequest(q.durationMs, q.statusCode, q.isError, q.isCacheHit, q.isAborted)
      }
      return rollup
    }),
  )
  patterns.push(
    Array.from({ length: PATTERNS }, (_, n) => {
      const all = new Rollup()
      for (const perRoute of patterns) all.merge(perRoute[n])
      return all
    }),
  )
  const minuteValues = patterns.map((perSeries) => perSeries.map(rowValues))
  const merged = (rollups) => {
    const rollup = new Rollup()
    for (const one of rollups) rollup.merge(one)
    return rollup
  }
  /** A series' rollup over the data's minutes within [from, to). */
  const spanRollup = (s, from, to) => {
    const list = []
    for (let m = Math.max(from, firstMinute); m < Math.min(to, toMinute); m++) {
      list.push(patterns[s][m % PATTERNS])
    }
    return merged(list)
  }
  const fullHours = patterns.map((perSeries) => merged(perSeries))
  const fullHourValues = fullHours.map(rowValues)
  const fullDayValues = fullHours.map((hour) => rowValues(merged(Array(24).fill(hour))))
  const hourValues = (s, hour) =>
    hour * 60 >= firstMinute && hour * 60 + 60 <= toMinute
      ? fullHourValues[s]
      : rowValues(spanRollup(s, hour * 60, hour * 60 + 60))
  const dayValues = (s, day) => {
    if (day * 1440 >= firstMinute && day * 1440 + 1440 <= toMinute) return fullDayValues[s]
    const hours = []
    for (let h = day * 24; h < day * 24 + 24; h++) hours.push(spanRollup(s, h * 60, h * 60 + 60))
    return rowValues(merged(hours))
  }
  const insert = Object.fromEntries(
    ['rollup_minute', 'rollup_hour', 'rollup_day'].map((table) => [
      table,
      db.prepare(
        `INSERT INTO ${table} (series, t, count, sum_ms, min_ms, max_ms, errors, cache_hits, aborted, s1xx, s2xx, s3xx, s4xx, s5xx, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    ]),
  )
  const patternsMs = performance.now() - started
  log(`3. ${series.length} series, ${PATTERNS} minute patterns each: ${patternsMs.toFixed(0)} ms`)
  const put = (table, id, t, values) => insert[table].run(id, t, ...values)
  // The store's order: minute after minute, every series; an hour's (a day's) rows once complete.
  const CHUNK = 1440
  for (let from = firstMinute; from < toMinute; from += CHUNK) {
    db.transaction(() => {
      for (let m = from; m < Math.min(from + CHUNK, toMinute); m++) {
        for (let s = 0; s < ALL; s++) {
          put('rollup_minute', series[s].id, m, minuteValues[s][m % PATTERNS])
        }
        const isLast = m === toMinute - 1
        if ((m + 1) % 60 === 0 || isLast) {
          const hour = Math.floor(m / 60)
          for (let s = 0; s < series.length; s++) {
            put('rollup_hour', series[s].id, hour, hourValues(s, hour))
          }
        }
        if ((m + 1) % 1440 === 0 || isLast) {
          const day = Math.floor(m / 1440)
          for (let s = 0; s < ALL; s++) {
            put('rollup_day', series[s].id, day, dayValues(s, day))
          }
        }
      }
    })()
    const done = Math.min(from + CHUNK, toMinute) - firstMinute
    if ((done / 1440) % 10 === 0 || done === toMinute - firstMinute) {
      const elapsedS = (performance.now() - started) / 1000
      log(
        `3. written ${(done / 1440).toFixed(0)} of ${BIG_DAYS} days, ${elapsedS.toFixed(0)} s, ` +
          `${(statSync(bigPath).size / 1e9).toFixed(2)} GB`,
      )
    }
  }
  db.pragma('journal_mode = WAL')
  db.close()
  return {
    routes,
    series,
    patterns,
    buildMs: performance.now() - started,
  }
}

/** Checks the tiers against the minutes: one route's 90 days from its minute rows alone. */
function checkTiers(store, route, seriesId) {
  const db = new Database(bigPath, { readonly: true })
  const rollup = new Rollup()
  for (const row of db
    .prepare('SELECT count, sum_ms, digest FROM rollup_minute WHERE series = ?')
    .iterate(seriesId)) {
    rollup.count += row.count
    rollup.sumMs += row.sum_ms
    rollup.digestCount += addEncodedDigest(row.digest, rollup.buckets)
  }
  db.close()
  const stats = store.routeStats(route, { days: BIG_DAYS })
  // The quantiles are compared on the buckets: the min and max clamp does not matter here.
  rollup.minMs = 0
  rollup.maxMs = Number.POSITIVE_INFINITY
  const p95 = rollup.quantile(0.95)
  const isConsistent =
    stats.requests === rollup.count &&
    Math.abs(stats.averageMs / (rollup.sumMs / rollup.count) - 1) < 1e-9 &&
    Math.abs(stats.p95Ms / p95 - 1) < 1e-9
  if (!isConsistent) throw new Error(`tiers disagree with the minutes: ${stats.p95Ms} vs ${p95}`)
  return { requests: rollup.count, p95Ms: p95 }
}

/** Wall clock and process CPU time (ms) of `runs` calls after a warm-up. */
function timeQuery(call, runs = QUERY_RUNS) {
  sink ^= JSON.stringify(call()).length // warm-up
  const times = []
  const cpuMs = []
  for (let run = 0; run < runs; run++) {
    const cpu = process.cpuUsage()
    const started = performance.now()
    const result = call()
    times.push(performance.now() - started)
    const used = process.cpuUsage(cpu)
    cpuMs.push((used.user + used.system) / 1000)
    sink ^= Array.isArray(result) ? result.length : 1
  }
  return { ...summarize(times), cpuMedian: summarize(cpuMs).median, raw: times, rawCpuMs: cpuMs }
}

noteLoad('writing the 90-day file')
log(`3. writing ${BIG_DAYS} days × ${BIG_ROUTES} routes of per-minute rollups...`)
const big = buildBigDatabase()
const busiest = big.routes[0].route
const quietest = big.routes[big.routes.length - 1].route
const started = performance.now()
const bigStore = openStore({ path: bigPath, clock: () => END_MS })
const openMs = performance.now() - started
const tierCheck = checkTiers(bigStore, busiest, big.series[0].id)
noteLoad('queries')
log('3. queries...')
const WINDOWS = [7, 30, 90].filter((days) => days <= BIG_DAYS)
const QUERIES = {
  overview: { label: '`overview()`', call: (days) => bigStore.overview({ days }) },
  routeStatsBusiest: {
    label: '`routeStats(route)`, the busiest route',
    call: (days) => bigStore.routeStats(busiest, { days }),
  },
  routeStatsQuietest: {
    label: '`routeStats(route)`, the quietest route',
    call: (days) => bigStore.routeStats(quietest, { days }),
  },
  allRoutes: { label: '`allRoutes()`', call: (days) => bigStore.allRoutes({ days }) },
  slowestRoutes: {
    label: '`slowestRoutes(10)`',
    call: (days) => bigStore.slowestRoutes(10, { days }),
  },
  trendAll: { label: '`trend()`, all routes', call: (days) => bigStore.trend({ days }) },
  trendRoute: {
    label: '`trend({ route })`, the busiest route',
    call: (days) => bigStore.trend({ route: busiest, days }),
  },
  cacheEffectiveness: {
    label: '`cacheEffectiveness()`',
    call: (days) => bigStore.cacheEffectiveness({ days }),
  },
  routeComparison: {
    label: '`routeComparison()`',
    call: (days) => bigStore.routeComparison({ days }),
  },
  healthScore: { label: '`healthScore()`', call: (days) => bigStore.healthScore({ days }) },
}
const queryTimes = {}
for (const [id, query] of Object.entries(QUERIES)) {
  queryTimes[id] = {}
  for (const days of WINDOWS) queryTimes[id][days] = timeQuery(() => query.call(days))
}
// It counts every row of each tier: seconds on this file, so fewer runs.
queryTimes.storageInfo = { any: timeQuery(() => bigStore.storageInfo(), 2) }
const bigInfo = bigStore.storageInfo()
bigStore.close()
const closedBytes = statSync(bigPath).size
const bigFile = {
  bytes: closedBytes,
  isWalLeft: existsSync(`${bigPath}-wal`),
  rows: bigInfo.rows,
  seriesCount: big.series.length,
  buildMs: big.buildMs,
  openMs,
}
rmSync(bigPath, { force: true })
const slowest = Object.entries(queryTimes).flatMap(([id, byDays]) =>
  Object.entries(byDays).map(([days, t]) => ({ id, days, median: t.median })),
)
const queriesHold = slowest.every((q) => q.median < 50)
const worstWindowed = slowest
  .filter((q) => q.id !== 'storageInfo')
  .reduce((a, b) => (b.median > a.median ? b : a))
const slowQueries = slowest.filter((q) => q.median >= 50)

// ---- 4. 1,000 requests a day over 90 days ------------------------------------------------------

function smallDatabase(keepRaw) {
  log(`4. 1,000 requests a day for ${SMALL_DAYS} days, keepRaw: ${keepRaw}...`)
  const r = makeRandom(41)
  const routes = routeModel(r, 10, SMALL_PER_DAY / 86_400)
  const firstDayMs = Math.floor(END_MS / DAY_MS) * DAY_MS - SMALL_DAYS * DAY_MS
  const times = []
  for (let day = 0; day < SMALL_DAYS; day++) {
    for (let i = 0; i < SMALL_PER_DAY; i++) {
      const minute = Math.floor(r.uniform() * 1440)
      times.push(firstDayMs + day * DAY_MS + minute * MINUTE_MS + r.uniform() * MINUTE_MS)
    }
  }
  times.sort((a, b) => a - b)
  let nowMs = firstDayMs
  const path = join(root, `small-${keepRaw}.db`)
  const store = openStore({ path, clock: () => nowMs, keepRaw })
  const began = performance.now()
  for (const endedAtMs of times) {
    nowMs = endedAtMs
    store.recordRequest(drawRequest(r, pickRoute(r, routes), endedAtMs))
    store.flush() // the flush timer's second holds one request at most, at this rate
  }
  const feedMs = performance.now() - began
  const info = store.storageInfo()
  store.close()
  const bytes = statSync(path).size
  const result = {
    keepRaw,
    requests: times.length,
    feedMs,
    rows: info.rows,
    openBytes: info.fileBytes,
    bytes,
    isWalLeft: existsSync(`${path}-wal`),
  }
  rmSync(path, { force: true })
  return result
}
noteLoad('1,000 a day')
const small = [smallDatabase(false), smallDatabase(true)]
const sizeHolds = small[0].bytes < 10e6

rmSync(root, { recursive: true, force: true })
if (sink === 0.5) console.log('unreachable') // keeps the results alive

// ---- results -----------------------------------------------------------------------------------

const ns = (x) => (x < 10 ? x.toFixed(1) : Math.round(x).toString())
const msf = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : Math.round(x).toString())
const mb = (bytes) => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)
const pct = (share) => `${(share * 100).toFixed(2)} %`
const int = (n) => n.toLocaleString('en')
const bigRequests = bigInfo.rows.minute > 0 ? BIG_PER_SECOND * 86_400 * BIG_DAYS : 0
const totalRows = bigInfo.rows.minute + bigInfo.rows.hour + bigInfo.rows.day

writeResult(
  'history',
  {
    recordRequest: {
      batch: BATCH,
      rounds: ROUNDS,
      costs: pathCosts,
      droppedCount,
      flushBetweenRoundsMs: pathFlushMs / (WARM_ROUNDS + ROUNDS),
      limitNs: 100,
      holds: recordHolds,
    },
    flush: { runs: flushRuns, limitShare: 0.05, holds: flushHolds },
    queries: {
      days: BIG_DAYS,
      routes: BIG_ROUTES,
      perSecond: BIG_PER_SECOND,
      runs: QUERY_RUNS,
      storageInfoRuns: 2,
      nowMs: END_MS,
      times: queryTimes,
      tierCheck,
      file: bigFile,
      limitMs: 50,
      holds: queriesHold,
    },
    size: {
      perDay: SMALL_PER_DAY,
      days: SMALL_DAYS,
      runs: small,
      limitBytes: 10e6,
      holds: sizeHolds,
    },
    loadAverages: loads,
  },
  [
    '### Targets',
    '',
    '| target | measured | holds |',
    '| --- | --- | --- |',
    `| \`recordRequest\` on the request path under 100 ns | ${ns(pathCosts.record.median)} ns | ${verdict(recordHolds)} |`,
    `| 20,000 requests/s with the flush under 5 % of a core | ${pct(flushRuns[0].coreShare)} | ${verdict(flushHolds)} |`,
    `| every query over ${BIG_DAYS} days of 100 routes under 50 ms | slowest with a window: ${msf(worstWindowed.median)} ms (\`${worstWindowed.id}\`, ${worstWindowed.days} days); \`storageInfo()\`: ${msf(queryTimes.storageInfo.any.median)} ms | ${verdict(queriesHold)} |`,
    `| 1,000 requests a day over 90 days under 10 MB | ${mb(small[0].bytes)} MB | ${verdict(sizeHolds)} |`,
    '',
    `The machine is shared: its 1-minute load average (${cpus().length} cores) was ` +
      `${Object.entries(loads)
        .map(([part, load]) => `${load.toFixed(1)} (${part})`)
        .join(', ')} when each part started; wall times above CPU times are time spent waiting ` +
      'for a core.',
    '',
    '### Recording a request',
    '',
    `${ROUNDS} rounds (after ${WARM_ROUNDS} of warm-up), each timing a batch of ${int(BATCH)} calls ` +
      'per case with `process.hrtime.bigint()`, the cases taking turns; the store is flushed ' +
      'between rounds, outside the timed part. ns per call: median of the rounds (min–max); the ' +
      'ratio to the floor is taken within each round.',
    '',
    '| case | ns per call | vs floor |',
    '| --- | --- | --- |',
    ...pathIds.map(
      (id) =>
        `| ${pathCosts[id].label} | ${ns(pathCosts[id].median)} (${ns(pathCosts[id].min)}–${ns(pathCosts[id].max)}) | ${pathCosts[id].vsFloor.toFixed(2)} |`,
    ),
    '',
    `Target under 100 ns per call: ${verdict(recordHolds)}.`,
    '',
    '### Flushing 20,000 requests a second',
    '',
    `${SECONDS} simulated seconds of ${int(PER_SECOND)} requests over 20 routes (log-normal ` +
      'durations, cache hits, 404s, errors), crossing a minute; one `flush()` per second, timed by ' +
      '`process.cpuUsage()` (user + system, the whole process) and by wall clock. % of a core: ' +
      'mean flush CPU per simulated second.',
    '',
    '| configuration | CPU per flush, mean ms | median | p95 | max | wall, median ms | % of a core |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...flushRuns.map(
      (run) =>
        `| ${run.label} | ${msf(run.cpuUs.mean / 1000)} | ${msf(run.cpuUs.median / 1000)} | ${msf(run.cpuUs.p95 / 1000)} | ${msf(run.cpuUs.max / 1000)} | ${msf(run.wallMs.median)} | ${pct(run.coreShare)} |`,
    ),
    '',
    `Target under 5 % of a core (default options): ${verdict(flushHolds)}.`,
    '',
    `### Queries over ${BIG_DAYS} days of 100 routes`,
    '',
    `${int(BIG_ROUTES)} routes sharing ${int(BIG_PER_SECOND)} requests a second (Zipf, s = 0.8: ` +
      `${big.routes[0].perSecond.toFixed(0)} to ${big.routes[BIG_ROUTES - 1].perSecond.toFixed(1)} per ` +
      `route), every minute of ${BIG_DAYS} days, ending at ${new Date(END_MS).toISOString()} (the ` +
      `store's clock). Written in ${(big.buildMs / 1000).toFixed(0)} s straight into the store's ` +
      `schema; the busiest route's ${BIG_DAYS}-day figures from the tiers equal those of its minute rows ` +
      `alone (${int(tierCheck.requests)} requests). Opening it (\`new HistoryStore\`, with its ` +
      `retention pass) took ${msf(openMs)} ms. ms per query: median of ${QUERY_RUNS} runs after a ` +
      'warm-up (`storageInfo()`: 2), wall clock / process CPU time; the file is in the page cache.',
    '',
    `| query | ${WINDOWS.map((d) => `${d} days`).join(' | ')} |`,
    `| --- | ${WINDOWS.map(() => '---').join(' | ')} |`,
    ...Object.entries(QUERIES).map(
      ([id, q]) =>
        `| ${q.label} | ${WINDOWS.map((d) => `${msf(queryTimes[id][d].median)} / ${msf(queryTimes[id][d].cpuMedian)}`).join(' | ')} |`,
    ),
    `| \`storageInfo()\` (no window) | ${msf(queryTimes.storageInfo.any.median)} / ${msf(queryTimes.storageInfo.any.cpuMedian)} |${WINDOWS.slice(
      1,
    )
      .map(() => ' |')
      .join('')}`,
    '',
    `Target under 50 ms per query: ${verdict(queriesHold)}` +
      (slowQueries.length > 0
        ? ` (over: ${slowQueries.map((q) => `${q.id}${q.days === 'any' ? '' : ` ${q.days} d`}`).join(', ')}).`
        : '.'),
    '',
    `**Size of 1,000 requests a second over ${BIG_DAYS} days (100 routes): ${(bigFile.bytes / 1e9).toFixed(2)} GB** ` +
      `(${int(bigRequests)} requests; the file after close, WAL checkpointed into it): ` +
      `${int(bigInfo.rows.minute)} minute rows, ${int(bigInfo.rows.hour)} hour rows, ` +
      `${int(bigInfo.rows.day)} day rows for ${big.series.length} series (100 routes, and all routes ` +
      'together, which has hour rows only), ' +
      `${Math.round(bigFile.bytes / totalRows)} bytes per row, ${mb(bigFile.bytes / BIG_DAYS)} MB a day.`,
    '',
    '### Database size for 1,000 requests a day',
    '',
    `${int(SMALL_PER_DAY)} requests a day at random minutes over 10 routes, ${SMALL_DAYS} days, ` +
      'each through `recordRequest` and a `flush()` on an injected clock. Size: the file after ' +
      '`close()` (SQLite checkpoints the WAL into it and deletes it); while open, the file and ' +
      'its WAL (`storageInfo().fileBytes`).',
    '',
    '| keepRaw | requests | minute / hour / day / raw rows | file after close | open: file + WAL | bytes per request | feeding time |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...small.map(
      (s) =>
        `| ${s.keepRaw} | ${int(s.requests)} | ${int(s.rows.minute)} / ${int(s.rows.hour)} / ${int(s.rows.day)} / ${int(s.rows.raw)} | ${mb(s.bytes)} MB | ${mb(s.openBytes)} MB | ${Math.round(s.bytes / s.requests)} | ${(s.feedMs / 1000).toFixed(1)} s |`,
    ),
    '',
    `Target under 10 MB (keepRaw: false): ${verdict(sizeHolds)}.`,
  ].join('\n'),
)
