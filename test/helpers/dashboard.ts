import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { createDashboard, type DashboardOptions, perfwatchHandler } from '../../src/http/node.js'
import { HistoryStore } from '../../src/storage/history-store.js'
import { listen } from './http.js'
import { logSink } from './log-sink.js'
import { tempDir } from './tmp.js'
import { testTracker } from './tracker.js'

export const HOUR_MS = 3_600_000
export const DAY_MS = 24 * HOUR_MS
/** 10:00 UTC on a Monday: the service's traffic starts here (the epoch clock of the test). */
export const START_MS = Date.UTC(2026, 11, 7, 10, 0)

/** A route name a careless page would run as markup. */
export const SCRIPT_ROUTE = 'GET /<script>alert(1)</script>'

/**
 * The test service's routes: how long each takes (on the manual clock), what it answers, and
 * whether a cache served it. Severities by P95: users good, search warning, report slow, export
 * critical.
 */
const ROUTES: Record<string, { durationMs: number; status?: number; isCacheHit?: boolean }> = {
  '/users/:id': { durationMs: 20 },
  '/search': { durationMs: 150 },
  '/report': { durationMs: 700 },
  '/export': { durationMs: 1500 },
  '/cached': { durationMs: 5, isCacheHit: true },
  '/fail': { durationMs: 40, status: 503 },
  '/<script>alert(1)</script>': { durationMs: 60 },
}

/** The template of a request: its decoded path, with a numeric segment as `:id`. */
function templateOf(req: IncomingMessage): string | undefined {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  const template = path.replace(/\/\d+(?=\/|$)/g, '/:id')
  return template in ROUTES ? template : undefined
}

/** A real history store in a fresh temp folder, logging into a parsed sink, flushed by hand. */
export function historyStore(clock?: () => number) {
  const log = logSink()
  const store = new HistoryStore({
    path: join(tempDir(), 'history.db'),
    logger: log.logger,
    flushIntervalMs: 60_000,
    ...(clock === undefined ? {} : { clock }),
  })
  return { store, lines: log.lines }
}

/**
 * A node:http service recorded by `perfwatchHandler` into a real `HistoryStore` (in a temp
 * folder) and a tracker, with the dashboard in front: `dashboard(req, res) || app(req, res)`.
 * One manual epoch clock drives the middleware, the store and the tracker; each request takes
 * its route's `durationMs` on it. `traffic()` sends real requests and flushes the store.
 */
export async function dashboardService(
  options: Omit<DashboardOptions, 'tracker' | 'history'> = {},
) {
  const { tracker, clock } = testTracker()
  clock.advance(START_MS - clock())
  const { store, lines } = historyStore(clock)
  const app = (req: IncomingMessage, res: ServerResponse) => {
    const route = ROUTES[templateOf(req) ?? '']
    if (route === undefined) {
      res.statusCode = 404
      res.end('not here')
      return
    }
    clock.advance(route.durationMs)
    if (route.isCacheHit === true) res.setHeader('x-cache', 'HIT')
    res.statusCode = route.status ?? 200
    res.end('ok')
  }
  const recorded = perfwatchHandler(app, { tracker, history: store, clock, route: templateOf })
  const log = logSink()
  const dashboard = createDashboard({ tracker, history: store, logger: log.logger, ...options })
  const server = await listen(createServer((req, res) => dashboard(req, res) || recorded(req, res)))

  /** Sends `times` GETs of each path, one after the other, then flushes the store. */
  async function traffic(paths: readonly string[], times = 1): Promise<void> {
    for (let i = 0; i < times; i++) {
      for (const path of paths) await fetch(server.url + path).then((r) => r.text())
    }
    store.flush()
  }

  return {
    url: server.url,
    tracker,
    store,
    clock,
    /** The dashboard's log lines; `storeLines` the store's. */
    lines: log.lines,
    storeLines: lines,
    traffic,
    close: async () => {
      await server.close()
      store.close()
    },
  }
}

/**
 * Two hours of traffic on every route, the second hour slower for `/users/:id`' P95 by its mix;
 * the `<script>` route once. The paths are URL-encoded as a browser sends them.
 */
export async function typicalTraffic(service: Awaited<ReturnType<typeof dashboardService>>) {
  await service.traffic(['/users/1', '/users/2', '/search', '/report', '/export', '/cached'], 3)
  await service.traffic(['/fail', `/${encodeURIComponent('<script>alert(1)</script>')}`])
  service.clock.advance(HOUR_MS)
  await service.traffic(['/users/3', '/search', '/cached', '/cached'], 2)
}
