import { createServer } from 'node:http'
import express5 from 'express'
import express4 from 'express4'
import { describe, expect, it } from 'vitest'
import { perfwatchDashboard, perfwatchExpress } from '../../src/integrations/express.js'
import { historyStore } from '../helpers/dashboard.js'
import {
  abortAfterFirstBytes,
  arraySink,
  expectSameResponses,
  listen,
  throwingSink,
  throwingTracker,
  until,
} from '../helpers/http.js'
import { logSink } from '../helpers/log-sink.js'
import { testTracker } from '../helpers/tracker.js'

type Handler = (req: unknown, res: Res, next: (error?: unknown) => void) => unknown
interface Res {
  setHeader(name: string, value: string): void
  status(code: number): Res
  send(body: string): void
  write(body: string): void
}

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
])('perfwatchExpress on %s', (_name, express) => {
  /** The same app with or without perfwatch in front. */
  function buildApp(middleware?: Handler) {
    const app = express()
    if (middleware !== undefined) app.use(middleware)
    const users = express.Router()
    users.get('/:id', ((_req, res) => res.send('user')) as Handler)
    users.get('/:id/orders/:orderId', ((_req, res) => {
      res.setHeader('x-cache', 'HIT')
      res.send('orders')
    }) as Handler)
    const api = express.Router()
    api.use('/users', users)
    app.use('/api', api)
    app.get('/boom', (() => {
      throw new Error('handler broke')
    }) as Handler)
    app.get('/fail', ((_req, res) => res.status(502).send('bad gateway')) as Handler)
    app.get('/hang', ((_req, res) => res.write('partial')) as Handler)
    app.get('/cached', ((_req, res) => {
      res.setHeader('X-Cache', 'Hit')
      res.send('cached')
    }) as Handler)
    // Express's default error handler logs the stack to stderr unless env is test.
    app.set('env', 'test')
    return app
  }

  it('names operations by route template across nested routers, never by the raw URL', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await listen(createServer(buildApp(perfwatchExpress({ tracker, history }))))
    try {
      for (const path of ['/api/users/1', '/api/users/2', '/api/users/3/orders/9']) {
        await fetch(server.url + path).then((r) => r.text())
      }
      await until(() => history.records.length === 3)
      expect(history.records.map((r) => r.route)).toEqual([
        'GET /api/users/:id',
        'GET /api/users/:id',
        'GET /api/users/:id/orders/:orderId',
      ])
      expect(tracker.getOperationStats('GET /api/users/:id')?.totalCount).toBe(2)
      expect(tracker.getOperationStats('GET /api/users/1')).toBeUndefined()
    } finally {
      await server.close()
    }
  })

  it('puts 404s in (unmatched)', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await listen(createServer(buildApp(perfwatchExpress({ tracker, history }))))
    try {
      await fetch(`${server.url}/nowhere/1`).then((r) => r.text())
      await fetch(`${server.url}/api/users/1/nothing`).then((r) => r.text())
      await until(() => history.records.length === 2)
      expect(history.records.map((r) => [r.route, r.statusCode])).toEqual([
        ['(unmatched)', 404],
        ['(unmatched)', 404],
      ])
      expect(tracker.getOperationStats('(unmatched)')?.totalCount).toBe(2)
    } finally {
      await server.close()
    }
  })

  it('counts a thrown error (Express answers 500) and a 5xx status as errors', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await listen(createServer(buildApp(perfwatchExpress({ tracker, history }))))
    try {
      await fetch(`${server.url}/boom`).then((r) => r.text())
      await fetch(`${server.url}/fail`).then((r) => r.text())
      await fetch(`${server.url}/api/users/1`).then((r) => r.text())
      await until(() => history.records.length === 3)
      expect(history.records.map((r) => [r.route, r.statusCode, r.isError])).toEqual([
        ['GET /boom', 500, true],
        ['GET /fail', 502, true],
        ['GET /api/users/:id', 200, false],
      ])
      expect(tracker.getOperationStats('GET /boom')?.errorRate).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('reads a cache hit from x-cache: HIT in any case, or from isCacheHit', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await listen(createServer(buildApp(perfwatchExpress({ tracker, history }))))
    const overridden = arraySink()
    const other = await listen(
      createServer(
        buildApp(
          perfwatchExpress({
            tracker,
            history: overridden,
            isCacheHit: (_req, res) => res.statusCode === 502,
          }),
        ),
      ),
    )
    try {
      for (const path of ['/cached', '/api/users/1/orders/2', '/api/users/1', '/fail']) {
        await fetch(server.url + path).then((r) => r.text())
        await fetch(other.url + path).then((r) => r.text())
      }
      await until(() => history.records.length === 4 && overridden.records.length === 4)
      expect(history.records.map((r) => r.isCacheHit)).toEqual([true, true, false, false])
      expect(overridden.records.map((r) => r.isCacheHit)).toEqual([false, false, false, true])
    } finally {
      await server.close()
      await other.close()
    }
  })

  it('records an aborted request as aborted', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await listen(createServer(buildApp(perfwatchExpress({ tracker, history }))))
    try {
      await abortAfterFirstBytes(server.url, '/hang')
      await until(() => history.records.length === 1)
      expect(history.records[0]).toMatchObject({ route: 'GET /hang', isAborted: true })
    } finally {
      await server.close()
    }
  })

  it('times from the request to the finish on the injected clock', async () => {
    const { tracker, clock } = testTracker()
    const history = arraySink()
    const ticking = () => {
      clock.advance(5)
      return clock()
    }
    const server = await listen(
      createServer(buildApp(perfwatchExpress({ tracker, history, clock: ticking }))),
    )
    try {
      await fetch(`${server.url}/api/users/7`).then((r) => r.text())
      await until(() => history.records.length === 1)
      expect(history.records[0]).toMatchObject({ durationMs: 5, endedAtMs: 1010, method: 'GET' })
      expect(tracker.getOperationStats('GET /api/users/:id')?.recentMax).toBe(5)
    } finally {
      await server.close()
    }
  })

  it('leaves status, headers and body as they are without perfwatch', async () => {
    const { tracker } = testTracker()
    const plain = await listen(createServer(buildApp()))
    const watched = await listen(
      createServer(buildApp(perfwatchExpress({ tracker, history: arraySink() }))),
    )
    try {
      // Not /boom: Express's development error page prints the stack, which names every
      // middleware's frame, perfwatch's among them; its status is checked above.
      await expectSameResponses(plain.url, watched.url, [
        '/api/users/1',
        '/api/users/1/orders/2',
        '/fail',
        '/x',
      ])
    } finally {
      await plain.close()
      await watched.close()
    }
  })

  it('never breaks a request when the history or the tracker throws; logs once', async () => {
    const { tracker } = testTracker()
    const sink = logSink()
    const broken = throwingTracker(tracker)
    const history = throwingSink()
    const plain = await listen(createServer(buildApp()))
    const watched = await listen(
      createServer(buildApp(perfwatchExpress({ tracker: broken, history, logger: sink.logger }))),
    )
    try {
      await expectSameResponses(plain.url, watched.url, ['/api/users/1', '/api/users/2', '/fail'])
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(sink.lines).toHaveLength(1)
      expect(sink.lines[0]).toMatchObject({ code: 'PERFWATCH_INTERNAL_ERROR', suppressed: 0 })
    } finally {
      await plain.close()
      await watched.close()
    }
  })

  it('rejects unknown options, including node:http-only route', () => {
    expect(() => perfwatchExpress({ route: () => '/' } as never)).toThrow(
      expect.objectContaining({ code: 'PERFWATCH_INVALID_OPTION', option: 'route' }),
    )
  })
})

describe.each([
  ['Express 4', express4],
  ['Express 5', express5],
])('perfwatchDashboard on %s', (_name, express) => {
  it('answers under /perfwatch and passes every other request on; mounted first, its own requests are not recorded', async () => {
    const { tracker } = testTracker()
    const { store } = historyStore()
    const app = express()
    app.use(perfwatchDashboard({ tracker, history: store }))
    app.use(perfwatchExpress({ tracker, history: store }))
    app.get('/users/:id', ((_req, res) => res.send('user')) as Handler)
    const server = await listen(createServer(app))
    try {
      expect(await fetch(`${server.url}/users/1`).then((r) => r.text())).toBe('user')
      store.flush()
      const page = await fetch(`${server.url}/perfwatch`)
      expect(page.url).toBe(`${server.url}/perfwatch/`)
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      const overview = await fetch(`${server.url}/perfwatch/api/overview`).then((r) => r.json())
      expect(overview).toMatchObject({ requests: 1, routes: 1 })
      const post = await fetch(`${server.url}/perfwatch/api/overview`, { method: 'POST' })
      expect(post.status).toBe(405)
      expect(tracker.getSystemSummary().trackedOperations).toEqual(['GET /users/:id'])
      expect((await fetch(`${server.url}/perfwatchx`)).status).toBe(404) // Express's own
    } finally {
      await server.close()
      store.close()
    }
  })

  it('serves below the path it is mounted at, and redirects relative to it', async () => {
    const { tracker } = testTracker()
    const app = express()
    app.use('/admin', perfwatchDashboard({ tracker, prefix: '/dash' }))
    const server = await listen(createServer(app))
    try {
      const redirect = await fetch(`${server.url}/admin/dash?days=1`, { redirect: 'manual' })
      expect(redirect.headers.get('location')).toBe('dash/?days=1')
      const page = await fetch(`${server.url}/admin/dash`)
      expect(page.url).toBe(`${server.url}/admin/dash/`)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect((await fetch(`${server.url}/admin/dash/api/operations`)).status).toBe(200)
      expect((await fetch(`${server.url}/dash/api/operations`)).status).toBe(404)
    } finally {
      await server.close()
    }
  })

  it('rejects a bad option when it is built', () => {
    expect(() => perfwatchDashboard({ allowRotate: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'PERFWATCH_INVALID_OPTION', option: 'allowRotate' }),
    )
  })
})
