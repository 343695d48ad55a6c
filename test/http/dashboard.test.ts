import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createDashboard, type DashboardOptions } from '../../src/http/node.js'
import { API_ERROR_CODES, ERROR_CODES, InvalidOptionError } from '../../src/index.js'
import {
  DAY_MS,
  dashboardService,
  HOUR_MS,
  SCRIPT_ROUTE,
  START_MS,
  typicalTraffic,
} from '../helpers/dashboard.js'
import { listen } from '../helpers/http.js'
import { ERROR } from '../helpers/log-sink.js'
import { thrownAsync, thrownBy } from '../helpers/thrown.js'
import { testTracker } from '../helpers/tracker.js'

/** What JSON makes of a value (NaN and undefined dropped or null). */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value))

/** A response body, checked by value: the tests read any field of it. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions check the values
type Json = any

async function getJson(url: string, init?: RequestInit) {
  const response = await fetch(url, init)
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Json,
  }
}

describe('createDashboard: the JSON API', () => {
  it('answers every history endpoint with what the store answers, over the window asked', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      // Three days later, one route again: the last day differs from the last 7.
      service.clock.advance(3 * DAY_MS)
      await service.traffic(['/search', '/cached'])
      const api = `${service.url}/perfwatch/api`
      const { store } = service
      expect(store.overview({ days: 1 }).requests).toBe(2)
      for (const days of [1, 7]) {
        expect((await getJson(`${api}/slow-routes?days=${days}`)).body).toEqual(
          asJson({ routes: store.slowestRoutes(10, { days }) }),
        )
        expect((await getJson(`${api}/cache-effectiveness?days=${days}`)).body).toEqual(
          asJson(store.cacheEffectiveness({ days })),
        )
        expect((await getJson(`${api}/health-score?days=${days}`)).body).toEqual(
          asJson(store.healthScore({ days })),
        )
        expect((await getJson(`${api}/route-trend?days=${days}`)).body).toEqual(
          asJson({ route: null, points: store.trend({ days }) }),
        )
      }
      expect((await getJson(`${api}/overview`)).body).toEqual(asJson(store.overview()))
      expect((await getJson(`${api}/overview?days=1`)).body).toEqual(
        asJson(store.overview({ days: 1 })),
      )
      expect((await getJson(`${api}/slow-routes?limit=3&days=30`)).body).toEqual(
        asJson({ routes: store.slowestRoutes(3, { days: 30 }) }),
      )
      expect((await getJson(`${api}/route-trend`)).body).toEqual(
        asJson({ route: null, points: store.trend() }),
      )
      const route = encodeURIComponent('GET /users/:id')
      expect((await getJson(`${api}/route-trend?route=${route}&days=2`)).body).toEqual(
        asJson({
          route: 'GET /users/:id',
          points: store.trend({ route: 'GET /users/:id', days: 2 }),
        }),
      )
      expect((await getJson(`${api}/cache-effectiveness?days=7`)).body).toEqual(
        asJson(store.cacheEffectiveness({ days: 7 })),
      )
      expect((await getJson(`${api}/health-score`)).body).toEqual(asJson(store.healthScore()))
      expect((await getJson(`${api}/storage`)).body).toEqual(asJson(store.storageInfo()))
    } finally {
      await service.close()
    }
  })

  it('answers the numbers of the traffic it recorded', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const api = `${service.url}/perfwatch/api`
      const overview = (await getJson(`${api}/overview`)).body
      // 6 paths × 3 + /fail + the script route, then 4 paths × 2 an hour later
      expect(overview).toMatchObject({ days: 7, requests: 28, routes: 7 })
      expect(overview.slowestRoute).toEqual({ route: 'GET /export', p95Ms: expect.any(Number) })
      const slow = (await getJson(`${api}/slow-routes?limit=4`)).body.routes
      expect(slow.map((r: { route: string }) => r.route)).toEqual([
        'GET /export',
        'GET /report',
        'GET /search',
        'GET /<script>alert(1)</script>',
      ])
      expect(slow.map((r: { severity: string }) => r.severity)).toEqual([
        'critical',
        'slow',
        'warning',
        'good',
      ])
      const trend = (await getJson(`${api}/route-trend`)).body.points
      expect(trend.map((p: { hourMs: number }) => p.hourMs)).toEqual([START_MS, START_MS + HOUR_MS])
      expect(trend.map((p: { requests: number }) => p.requests)).toEqual([20, 8])
      const cache = (await getJson(`${api}/cache-effectiveness`)).body
      expect(cache.effective).toEqual([
        { route: 'GET /cached', requests: 7, cacheHits: 7, hitRate: 1 },
      ])
      const health = (await getJson(`${api}/health-score`)).body
      expect(health).toMatchObject({ requests: 28, errorRate: 1 / 28 })
      expect(health.health.grade).toMatch(/^[A-F]\+?$/)
      const storage = (await getJson(`${api}/storage`)).body
      expect(storage).toMatchObject({ pending: 0, dropped: 0, keepRaw: false })
      expect(storage.rows.minute).toBeGreaterThan(0)
    } finally {
      await service.close()
    }
  })

  it("answers api/operations with the tracker's live state: states, recent and baseline quantiles", async () => {
    const service = await dashboardService()
    try {
      await service.traffic(['/users/1', '/search'], 2)
      const live = (await getJson(`${service.url}/perfwatch/api/operations`)).body
      expect(live).toEqual({
        totalSamples: 4,
        internalErrors: 0,
        currentlyDegraded: [],
        operations: [
          expect.objectContaining({
            operation: 'GET /search',
            state: 'learning',
            degradedSince: null,
            sampleCount: 2,
            totalCount: 2,
            errorRate: 0,
            recent: { meanMs: 150, p50Ms: 150, p95Ms: 150, p99Ms: 150 },
            baseline: null,
          }),
          expect.objectContaining({ operation: 'GET /users/:id', totalCount: 2 }),
        ],
      })
    } finally {
      await service.close()
    }
  })

  it('shows a baseline once the tracker has one, and lists the degraded operations', async () => {
    const service = await dashboardService()
    try {
      const { tracker, clock } = service
      for (let i = 0; i < 1200; i++) {
        clock.advance(5)
        tracker.record('db.query', 10 + (i % 7))
      }
      for (let i = 0; i < 400; i++) {
        clock.advance(5)
        tracker.record('db.query', 200 + (i % 7))
      }
      const expected = tracker.getOperationStats('db.query')
      expect(expected?.state).toBe('degraded')
      const live = (await getJson(`${service.url}/perfwatch/api/operations`)).body
      expect(live.currentlyDegraded).toEqual(['db.query'])
      expect(live.operations[0]).toEqual({
        operation: 'db.query',
        state: 'degraded',
        degradedSince: expected?.degradedSince,
        sampleCount: expected?.sampleCount,
        totalCount: 1600,
        callsPerSecond: expected?.callsPerSecond,
        errorRate: 0,
        recent: {
          meanMs: expected?.recentMean,
          p50Ms: expected?.recentP50,
          p95Ms: expected?.recentP95,
          p99Ms: expected?.recentP99,
        },
        baseline: {
          meanMs: expected?.baseline?.mean,
          p50Ms: expected?.baseline?.p50,
          p95Ms: expected?.baseline?.p95,
          p99Ms: expected?.baseline?.p99,
          sampleCount: expected?.baseline?.sampleCount,
          establishedAt: expected?.baseline?.establishedAt,
        },
      })
    } finally {
      await service.close()
    }
  })

  it('sends JSON uncached, unsniffed, under the content security policy', async () => {
    const service = await dashboardService()
    try {
      const response = await fetch(`${service.url}/perfwatch/api/overview`)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(response.headers.get('referrer-policy')).toBe('no-referrer')
      const error = await fetch(`${service.url}/perfwatch/api/overview?days=0`)
      expect(error.headers.get('cache-control')).toBe('no-store')
      expect(error.headers.get('x-content-type-options')).toBe('nosniff')
    } finally {
      await service.close()
    }
  })

  it('passes a route with markup in its name on as JSON text, unchanged', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const response = await fetch(`${service.url}/perfwatch/api/slow-routes?limit=10`)
      const text = await response.text()
      expect(text).toContain('"route":"GET /<script>alert(1)</script>"')
      expect(JSON.parse(text).routes.map((r: { route: string }) => r.route)).toContain(SCRIPT_ROUTE)
      const trend = await getJson(
        `${service.url}/perfwatch/api/route-trend?route=${encodeURIComponent(SCRIPT_ROUTE)}`,
      )
      expect(trend.body).toMatchObject({ route: SCRIPT_ROUTE, points: [{ requests: 1 }] })
    } finally {
      await service.close()
    }
  })
})

describe('createDashboard: bad requests', () => {
  const invalid = ERROR_CODES.invalidArgument
  it.each([
    ['overview?days=0', invalid, 'days must be an integer from 1 to 365, got "0"'],
    ['overview?days=366', invalid, 'days must be an integer from 1 to 365, got "366"'],
    ['overview?days=1.5', invalid, 'days must be an integer from 1 to 365, got "1.5"'],
    ['overview?days=-1', invalid, 'days must be an integer from 1 to 365, got "-1"'],
    ['overview?days=seven', invalid, 'days must be an integer from 1 to 365, got "seven"'],
    ['overview?days=', invalid, 'days must be an integer from 1 to 365, got ""'],
    ['overview?days=1e2', invalid, 'days must be an integer from 1 to 365, got "1e2"'],
    ['health-score?days=%207', invalid, 'days must be an integer from 1 to 365, got " 7"'],
    ['slow-routes?limit=-1', invalid, 'limit must be an integer >= 0, got "-1"'],
    ['slow-routes?limit=2.5', invalid, 'limit must be an integer >= 0, got "2.5"'],
    [
      'slow-routes?limit=99999999999999999999',
      invalid,
      'limit must be an integer >= 0, got "99999999999999999999"',
    ],
    ['overview?day=30', invalid, 'Unknown parameter "day" of api/overview: it takes days'],
    ['storage?days=1', invalid, 'Unknown parameter "days" of api/storage: it takes no parameters'],
    [
      'operations?days=1',
      invalid,
      'Unknown parameter "days" of api/operations: it takes no parameters',
    ],
    ['overview?days=1&days=2', invalid, 'Parameter "days" is given more than once'],
    ['route-trend?route=', invalid, 'route must be a route of at most 1024 characters'],
    [
      `route-trend?route=${encodeURIComponent('GET /never')}`,
      ERROR_CODES.unknownRoute,
      'No history for route "GET /never"',
    ],
  ])('answers api/%s with a 400 %s', async (path, code, message) => {
    const service = await dashboardService()
    try {
      await service.traffic(['/users/1'])
      const { status, body } = await getJson(`${service.url}/perfwatch/api/${path}`)
      expect(status).toBe(400)
      expect(body).toEqual({ error: { code, message: expect.stringContaining(message) } })
    } finally {
      await service.close()
    }
  })

  it('answers an unknown endpoint or file under the prefix with a 404', async () => {
    const service = await dashboardService()
    try {
      for (const [path, what] of [
        ['api/nothing', 'api/nothing'],
        ['api/', 'api/'],
        ['api/__proto__', 'api/__proto__'],
        ['nothing.js', 'nothing.js'],
        ['vendor/', 'vendor/'],
      ]) {
        const { status, body } = await getJson(`${service.url}/perfwatch/${path}`)
        expect(status, path).toBe(404)
        expect(body.error.code).toBe(API_ERROR_CODES.notFound)
        expect(body.error.message).toContain(`The dashboard has no ${what}:`)
      }
    } finally {
      await service.close()
    }
  })

  it('answers the history endpoints of a dashboard without history with a 404, api/operations still', async () => {
    const { tracker } = testTracker()
    tracker.record('db.query', 3)
    const dashboard = createDashboard({ tracker })
    const server = await listen(createServer((req, res) => dashboard(req, res) || res.end()))
    try {
      for (const name of ['overview', 'slow-routes', 'health-score', 'storage', 'route-trend']) {
        const { status, body } = await getJson(`${server.url}/perfwatch/api/${name}`)
        expect(status).toBe(404)
        expect(body.error).toEqual({
          code: API_ERROR_CODES.noHistory,
          message: `api/${name} needs a history store: createDashboard({ history })`,
        })
      }
      const live = await getJson(`${server.url}/perfwatch/api/operations`)
      expect(live.status).toBe(200)
      expect(live.body.operations[0].operation).toBe('db.query')
    } finally {
      await server.close()
    }
  })

  it('answers a method an endpoint does not take with a 405 and Allow', async () => {
    const service = await dashboardService({ allowRotate: true })
    try {
      const cases: Array<[string, string, string]> = [
        ['POST', 'api/overview', 'GET, HEAD'],
        ['DELETE', 'api/operations', 'GET, HEAD'],
        ['GET', 'api/rotate', 'POST'],
        ['PUT', 'api/rotate', 'POST'],
        ['POST', '', 'GET, HEAD'],
        ['POST', 'dashboard.js', 'GET, HEAD'],
      ]
      for (const [method, path, allow] of cases) {
        const response = await fetch(`${service.url}/perfwatch/${path}`, { method })
        expect(response.status, `${method} ${path}`).toBe(405)
        expect(response.headers.get('allow')).toBe(allow)
        const body = (await response.json()) as Json
        expect(body.error).toEqual({
          code: API_ERROR_CODES.methodNotAllowed,
          message: `${path === '' ? 'the page' : path} takes ${allow}`,
        })
      }
    } finally {
      await service.close()
    }
  })

  it('refuses POST api/rotate unless allowRotate is set', async () => {
    const service = await dashboardService()
    try {
      await service.traffic(['/users/1'])
      service.clock.advance(3 * DAY_MS)
      const rows = service.store.storageInfo().rows
      const response = await fetch(`${service.url}/perfwatch/api/rotate?days=1`, {
        method: 'POST',
      })
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toBe('')
      expect(((await response.json()) as Json).error).toEqual({
        code: API_ERROR_CODES.methodNotAllowed,
        message:
          'api/rotate is switched off: createDashboard({ allowRotate: true }) allows POST api/rotate',
      })
      expect(service.store.storageInfo().rows).toEqual(rows)
    } finally {
      await service.close()
    }
  })
})

describe('createDashboard: rotate', () => {
  it('deletes history older than days on POST api/rotate with allowRotate', async () => {
    const service = await dashboardService({ allowRotate: true })
    try {
      await service.traffic(['/users/1', '/search'])
      service.clock.advance(3 * DAY_MS)
      await service.traffic(['/users/1'])
      const before = service.store.storageInfo().rows.minute
      const { status, body } = await getJson(`${service.url}/perfwatch/api/rotate?days=2`, {
        method: 'POST',
      })
      expect(status).toBe(200)
      expect(body.beforeMs).toBe(service.clock() - 2 * DAY_MS)
      expect(body.deletedRows).toBeGreaterThan(0)
      expect(service.store.storageInfo().rows.minute).toBeLessThan(before)
      expect((await getJson(`${service.url}/perfwatch/api/overview`)).body.requests).toBe(1)
      const bad = await getJson(`${service.url}/perfwatch/api/rotate?days=0`, { method: 'POST' })
      expect(bad.status).toBe(400)
    } finally {
      await service.close()
    }
  })

  it('refuses POST api/rotate from a page of another origin', async () => {
    const service = await dashboardService({ allowRotate: true })
    try {
      await service.traffic(['/users/1'])
      const { status, body } = await getJson(`${service.url}/perfwatch/api/rotate?days=1`, {
        method: 'POST',
        headers: { origin: 'https://evil.example' },
      })
      expect(status).toBe(403)
      expect(body.error).toEqual({
        code: API_ERROR_CODES.forbidden,
        message: 'api/rotate refuses requests from pages of another origin',
      })
      const same = await fetch(`${service.url}/perfwatch/api/rotate?days=1`, {
        method: 'POST',
        headers: { origin: service.url },
      })
      expect(same.status).toBe(200)
      // Reading is no harm: a GET from another origin is answered (the browser keeps it from
      // that page, as no CORS header allows it).
      const read = await fetch(`${service.url}/perfwatch/api/overview`, {
        headers: { origin: 'https://evil.example' },
      })
      expect(read.status).toBe(200)
    } finally {
      await service.close()
    }
  })
})

describe('createDashboard: authorize', () => {
  const refusals: Array<[string, DashboardOptions['authorize'], number, string]> = [
    ['false', () => false, 401, API_ERROR_CODES.unauthorized],
    ['401', () => 401, 401, API_ERROR_CODES.unauthorized],
    ['403', () => 403, 403, API_ERROR_CODES.forbidden],
    ['a promise of 403', async () => 403 as const, 403, API_ERROR_CODES.forbidden],
    ['a promise of false', () => Promise.resolve(false), 401, API_ERROR_CODES.unauthorized],
    ['undefined', (() => undefined) as never, 401, API_ERROR_CODES.unauthorized],
  ]

  it.each(refusals)(
    'refuses every request when authorize answers %s',
    async (_, authorize, status, code) => {
      const service = await dashboardService({ authorize })
      try {
        for (const path of ['', 'api/overview', 'api/nothing', 'dashboard.js']) {
          const response = await getJson(`${service.url}/perfwatch/${path}`)
          expect(response.status, path).toBe(status)
          expect(response.body.error.code).toBe(code)
          expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
        }
      } finally {
        await service.close()
      }
    },
  )

  it('lets a request in on true or a promise of true, and gives authorize the request', async () => {
    const seen: string[] = []
    const service = await dashboardService({
      authorize: async (req) => {
        seen.push(req.url ?? '')
        return req.headers.authorization === 'Bearer secret'
      },
    })
    try {
      const url = `${service.url}/perfwatch/api/operations`
      expect((await fetch(url)).status).toBe(401)
      const allowed = await fetch(url, { headers: { authorization: 'Bearer secret' } })
      expect(allowed.status).toBe(200)
      expect(seen).toEqual(['/perfwatch/api/operations', '/perfwatch/api/operations'])
      // Requests outside the prefix never reach authorize.
      expect((await fetch(`${service.url}/users/1`)).status).toBe(200)
      expect(seen).toHaveLength(2)
    } finally {
      await service.close()
    }
  })

  it('keeps the headers authorize set, and sends nothing when authorize answered itself', async () => {
    const service = await dashboardService({
      authorize: (req, res) => {
        if (req.url?.includes('login') === true) {
          res.writeHead(302, { location: '/login' }).end()
          return false
        }
        res.setHeader('www-authenticate', 'Basic realm="perfwatch"')
        return 401
      },
    })
    try {
      const refused = await fetch(`${service.url}/perfwatch/api/overview`)
      expect(refused.status).toBe(401)
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="perfwatch"')
      const redirected = await fetch(`${service.url}/perfwatch/login`, { redirect: 'manual' })
      expect(redirected.status).toBe(302)
      expect(redirected.headers.get('location')).toBe('/login')
      expect(await redirected.text()).toBe('')
      expect(service.lines).toEqual([]) // nothing failed: the dashboard wrote nothing more
    } finally {
      await service.close()
    }
  })

  it('answers 500 when authorize throws or rejects, and logs it once a minute', async () => {
    let calls = 0
    const service = await dashboardService({
      authorize: () => {
        calls++
        if (calls === 1) throw new Error('auth broke')
        return Promise.reject(new Error('auth rejected'))
      },
    })
    // The first throws, the others reject.
    try {
      for (const [path, what] of [
        ['/api/overview', 'api/overview'],
        ['/', 'the page'],
        ['', 'the page'],
      ]) {
        const { status, body } = await getJson(`${service.url}/perfwatch${path}`)
        expect(status).toBe(500)
        expect(body.error).toEqual({
          code: API_ERROR_CODES.internal,
          message: `The dashboard could not answer ${what}: the server's log has the error`,
        })
      }
      expect(service.lines.filter((l) => l.level === ERROR)).toEqual([
        expect.objectContaining({
          code: API_ERROR_CODES.internal,
          err: expect.objectContaining({ message: 'auth broke' }),
          request: 'api/overview',
          suppressed: 0,
        }),
      ])
    } finally {
      await service.close()
    }
  })
})

describe('createDashboard: never crashes the server', () => {
  it('answers 500 JSON when the history throws, logs it rate-limited, and goes on', async () => {
    const service = await dashboardService()
    try {
      await service.traffic(['/users/1'])
      service.store.close() // a closed database throws on every query
      for (const path of ['overview', 'health-score', 'storage', 'route-trend']) {
        const { status, body } = await getJson(`${service.url}/perfwatch/api/${path}`)
        expect(status).toBe(500)
        expect(body).toEqual({
          error: {
            code: API_ERROR_CODES.internal,
            message: `The dashboard could not answer api/${path}: the server's log has the error`,
          },
        })
      }
      const errors = service.lines.filter((l) => l.level === ERROR)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({
        code: API_ERROR_CODES.internal,
        request: 'api/overview',
        suppressed: 0,
        msg: 'perfwatch dashboard could not answer a request; it answered 500 and the server goes on',
      })
      expect(errors[0]?.err).toMatchObject({ message: expect.stringContaining('not open') })
      expect((await fetch(`${service.url}/perfwatch/api/operations`)).status).toBe(200)
      expect((await fetch(`${service.url}/users/1`)).status).toBe(200)
    } finally {
      await service.close()
    }
  })

  it('answers 500 when the tracker throws', async () => {
    const { tracker } = testTracker()
    const broken = Object.create(tracker) as typeof tracker
    broken.getSystemSummary = () => {
      throw new Error('summary broke')
    }
    const logged: unknown[] = []
    const logger = { info() {}, warn() {}, error: (o: unknown) => logged.push(o) }
    const dashboard = createDashboard({ tracker: broken, logger })
    const server = await listen(createServer((req, res) => dashboard(req, res) || res.end()))
    try {
      const { status, body } = await getJson(`${server.url}/perfwatch/api/operations`)
      expect(status).toBe(500)
      expect(body.error.code).toBe(API_ERROR_CODES.internal)
      expect(logged).toEqual([expect.objectContaining({ code: API_ERROR_CODES.internal })])
    } finally {
      await server.close()
    }
  })

  it('cuts the connection when authorize fails after starting an answer of its own', async () => {
    const service = await dashboardService({
      authorize: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.write('partial')
        throw new Error('auth broke halfway')
      },
    })
    try {
      // Cut, not left open: the request fails at once ("other side closed"), never by the timeout.
      const cut = await thrownAsync(async () => {
        const response = await fetch(`${service.url}/perfwatch/api/overview`, {
          signal: AbortSignal.timeout(5000),
        })
        return response.text()
      })
      expect(cut).toMatchObject({ name: 'TypeError' })
      expect(service.lines.map((l) => l.code)).toEqual([API_ERROR_CODES.internal])
    } finally {
      await service.close()
    }
  })

  it('cuts the connection when even the 500 cannot be written, never leaving it open', async () => {
    const service = await dashboardService({
      authorize: (_req, res) => {
        res.statusMessage = 'not\na status line' // writeHead throws on it
        return true
      },
    })
    try {
      const failed = await thrownAsync(() =>
        fetch(`${service.url}/perfwatch/api/overview`, { signal: AbortSignal.timeout(5000) }),
      )
      expect(failed).toMatchObject({ name: 'TypeError', message: 'fetch failed' })
      expect(service.lines.map((l) => l.code)).toEqual([API_ERROR_CODES.internal])
      expect((await fetch(`${service.url}/users/1`)).status).toBe(200)
    } finally {
      await service.close()
    }
  })
})

describe('createDashboard: mounting', () => {
  it('returns false for requests outside its prefix and leaves them alone', async () => {
    const { tracker } = testTracker()
    const dashboard = createDashboard({ tracker })
    const answered: Array<[string, boolean]> = []
    const server = await listen(
      createServer((req, res) => {
        const isOurs = dashboard(req, res)
        answered.push([req.url ?? '', isOurs])
        if (!isOurs) res.end(`app ${req.url}`)
      }),
    )
    try {
      for (const path of ['/', '/perfwatchx', '/perf', '/api/overview', '/x/perfwatch/']) {
        expect(await (await fetch(server.url + path)).text()).toBe(`app ${path}`)
      }
      await fetch(`${server.url}/perfwatch/api/operations`).then((r) => r.text())
      expect(answered.map(([, isOurs]) => isOurs)).toEqual([
        false,
        false,
        false,
        false,
        false,
        true,
      ])
    } finally {
      await server.close()
    }
  })

  it('redirects the prefix without its slash to the page, relative, with the query', async () => {
    const { tracker } = testTracker()
    for (const [prefix, path, location] of [
      [undefined, '/perfwatch', 'perfwatch/'],
      [undefined, '/perfwatch?days=30', 'perfwatch/?days=30'],
      ['/ops/dash/', '/ops/dash', 'dash/'],
      ['/ops/dash//', '/ops/dash', 'dash/'],
    ] as const) {
      const dashboard = createDashboard({ tracker, ...(prefix === undefined ? {} : { prefix }) })
      const server = await listen(createServer((req, res) => dashboard(req, res) || res.end()))
      try {
        const response = await fetch(server.url + path, { redirect: 'manual' })
        expect(response.status).toBe(308)
        expect(response.headers.get('location')).toBe(location)
        const followed = await fetch(server.url + path)
        expect(followed.url).toBe(new URL(location, server.url + path).href)
        expect(followed.headers.get('content-type')).toBe('text/html; charset=utf-8')
      } finally {
        await server.close()
      }
    }
  })

  it('serves under any prefix, the root included', async () => {
    const { tracker } = testTracker()
    for (const [prefix, page] of [
      ['/ops/dash', '/ops/dash/'],
      ['/', '/'],
      ['', '/'],
    ] as const) {
      const dashboard = createDashboard({ tracker, prefix })
      const server = await listen(createServer((req, res) => dashboard(req, res) || res.end('app')))
      try {
        const response = await fetch(server.url + page)
        expect(response.headers.get('content-type'), prefix).toBe('text/html; charset=utf-8')
        const api = await fetch(`${server.url}${page}api/operations`)
        expect(api.status).toBe(200)
      } finally {
        await server.close()
      }
    }
  })
})

describe('createDashboard: the page', () => {
  it('serves the page and its files with their types and a strict policy, no inline code', async () => {
    const service = await dashboardService()
    try {
      const page = await fetch(`${service.url}/perfwatch/`)
      expect(page.status).toBe(200)
      const csp = page.headers.get('content-security-policy') ?? ''
      expect(csp.split('; ')).toEqual(
        expect.arrayContaining([
          "default-src 'none'",
          "script-src 'self'",
          "style-src 'self'",
          "connect-src 'self'",
          "img-src 'self' data:",
          "frame-ancestors 'none'",
        ]),
      )
      expect(csp).not.toContain('unsafe')
      expect(page.headers.get('x-content-type-options')).toBe('nosniff')
      const html = await page.text()
      // Every script is a file of the dashboard's own; no inline script, style or handler.
      expect([...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1])).toEqual([
        ' src="vendor/uPlot.iife.min.js" defer',
        ' src="dashboard.js" defer',
      ])
      expect(html).not.toMatch(/<style|style=|\son[a-z]+=/i)
      for (const [file, type] of [
        ['dashboard.js', 'text/javascript; charset=utf-8'],
        ['dashboard.css', 'text/css; charset=utf-8'],
        ['vendor/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
        ['vendor/uPlot.min.css', 'text/css; charset=utf-8'],
      ]) {
        expect(html).toContain(`"${file}"`)
        const response = await fetch(`${service.url}/perfwatch/${file}`)
        expect(response.status, file).toBe(200)
        expect(response.headers.get('content-type')).toBe(type)
        expect(response.headers.get('x-content-type-options')).toBe('nosniff')
        expect((await response.text()).length).toBeGreaterThan(1000)
      }
    } finally {
      await service.close()
    }
  })

  it('answers HEAD without a body and a matching ETag with 304', async () => {
    const service = await dashboardService()
    try {
      const url = `${service.url}/perfwatch/dashboard.js`
      const first = await fetch(url)
      const etag = first.headers.get('etag') ?? ''
      expect(etag).toMatch(/^"[\w-]{22}"$/)
      expect(first.headers.get('cache-control')).toBe('no-cache')
      const again = await fetch(url, { headers: { 'if-none-match': etag } })
      expect(again.status).toBe(304)
      expect(await again.text()).toBe('')
      const other = await fetch(url, { headers: { 'if-none-match': '"other"' } })
      expect(other.status).toBe(200)
      const head = await fetch(url, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(head.headers.get('content-length')).toBe(first.headers.get('content-length'))
      expect(await head.text()).toBe('')
      const api = await fetch(`${service.url}/perfwatch/api/operations`, { method: 'HEAD' })
      expect(api.status).toBe(200)
    } finally {
      await service.close()
    }
  })
})

describe('the vendored uPlot', () => {
  it('is the devDependency uplot, byte for byte, with its licence', () => {
    const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url))
    for (const [vendored, original] of [
      ['src/http/dashboard/vendor/uPlot.iife.min.js', 'node_modules/uplot/dist/uPlot.iife.min.js'],
      ['src/http/dashboard/vendor/uPlot.min.css', 'node_modules/uplot/dist/uPlot.min.css'],
      ['src/http/dashboard/vendor/uPlot.LICENSE', 'node_modules/uplot/LICENSE'],
    ] as const) {
      expect(read(vendored).equals(read(original)), vendored).toBe(true)
    }
    const pinned = JSON.parse(read('package.json').toString()).devDependencies.uplot
    expect(read('src/http/dashboard/vendor/uPlot.iife.min.js').toString()).toContain(`(v${pinned})`)
  })
})

describe('createDashboard options', () => {
  it.each([
    [{ tracer: 1 }, 'Unknown option "tracer": did you mean tracker?'],
    [{ tracker: {} }, 'tracker must be a PerformanceTracker, got an object'],
    [{ history: { overview() {} } }, 'history must be a HistoryStore (an object with overview'],
    [{ authorize: true }, 'authorize must be a function, got true'],
    [{ allowRotate: 'yes' }, 'allowRotate must be a boolean, got "yes"'],
    [
      { prefix: 'perfwatch' },
      `prefix must be a path such as '/perfwatch' (no query or #), got "perfwatch"`,
    ],
    [{ prefix: '/a?b' }, 'prefix must be a path'],
    [{ prefix: 3 }, 'prefix must be a path'],
    [{ logger: console.log }, 'logger must be a logger with info, warn and error methods'],
  ])('refuses %j', (options, message) => {
    const error = thrownBy(() => createDashboard(options as DashboardOptions))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as Error).message).toContain(message)
  })

  it('refuses options that are not an object', () => {
    for (const options of [null, 'x', 5, true]) {
      expect(thrownBy(() => createDashboard(options as never))).toMatchObject({
        option: 'options',
        message: `options must be an object, got ${typeof options === 'string' ? '"x"' : options}`,
      })
    }
  })

  it('refuses a null tracker or history, a prefix that is not a string, and names every method', () => {
    for (const options of [{ tracker: null }, { history: null }, { prefix: ['/x'] }]) {
      expect(thrownBy(() => createDashboard(options as never))).toBeInstanceOf(InvalidOptionError)
    }
    expect(thrownBy(() => createDashboard({ history: {} as never }))).toMatchObject({
      message:
        'history must be a HistoryStore (an object with overview, slowestRoutes, trend, ' +
        'cacheEffectiveness, healthScore, storageInfo, rotate methods), got an object',
    })
  })

  it('takes no options at all: the default tracker, no history, at /perfwatch', async () => {
    const dashboard = createDashboard()
    const server = await listen(createServer((req, res) => dashboard(req, res) || res.end('app')))
    try {
      expect((await fetch(`${server.url}/perfwatch/`)).status).toBe(200)
      expect((await fetch(`${server.url}/perfwatch/api/overview`)).status).toBe(404)
    } finally {
      await server.close()
    }
  })
})
