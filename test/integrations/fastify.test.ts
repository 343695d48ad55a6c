import Fastify, { type FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { perfwatchDashboard, perfwatchFastify } from '../../src/integrations/fastify.js'
import { historyStore } from '../helpers/dashboard.js'
import {
  abortAfterFirstBytes,
  arraySink,
  expectSameResponses,
  throwingSink,
  throwingTracker,
  until,
} from '../helpers/http.js'
import { logSink } from '../helpers/log-sink.js'
import { testTracker } from '../helpers/tracker.js'

/** The same app with or without perfwatch; routes registered in a child scope with a prefix. */
async function buildApp(register?: (app: FastifyInstance) => Promise<unknown> | unknown) {
  const app = Fastify()
  if (register !== undefined) await register(app)
  await app.register(
    async (api) => {
      api.get('/users/:id', async () => ({ user: true }))
      api.get('/users/:id/orders/:orderId', async (_request, reply) => {
        reply.header('x-cache', 'HIT')
        return 'orders'
      })
    },
    { prefix: '/api' },
  )
  app.get('/boom', async () => {
    throw new Error('handler broke')
  })
  app.get('/teapot', async () => {
    throw Object.assign(new Error('client error'), { statusCode: 418 })
  })
  app.get('/fail', async (_request, reply) => reply.code(503).send('down'))
  app.get('/hang', (_request, reply) => {
    reply.raw.write('partial') // never ends: the client gives up
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { url: address, close: () => app.close() }
}

describe('perfwatchFastify', () => {
  it('names operations by route template, 404s as (unmatched), and covers child scopes', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await buildApp((app) => app.register(perfwatchFastify, { tracker, history }))
    try {
      for (const path of ['/api/users/1', '/api/users/2?x=1', '/api/users/3/orders/4', '/nope/5']) {
        await fetch(server.url + path).then((r) => r.text())
      }
      await until(() => history.records.length === 4)
      expect(history.records.map((r) => [r.route, r.statusCode])).toEqual([
        ['GET /api/users/:id', 200],
        ['GET /api/users/:id', 200],
        ['GET /api/users/:id/orders/:orderId', 200],
        ['(unmatched)', 404],
      ])
      expect(tracker.getOperationStats('GET /api/users/:id')?.totalCount).toBe(2)
      expect(tracker.getOperationStats('(unmatched)')?.totalCount).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('counts thrown errors and 5xx as errors, takes the duration from reply.elapsedTime', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await buildApp((app) => app.register(perfwatchFastify, { tracker, history }))
    try {
      for (const path of ['/boom', '/teapot', '/fail', '/api/users/1']) {
        await fetch(server.url + path).then((r) => r.text())
      }
      await until(() => history.records.length === 4)
      expect(history.records.map((r) => [r.route, r.statusCode, r.isError])).toEqual([
        ['GET /boom', 500, true],
        ['GET /teapot', 418, true],
        ['GET /fail', 503, true],
        ['GET /api/users/:id', 200, false],
      ])
      for (const record of history.records) {
        expect(record.durationMs).toBeGreaterThan(0)
        expect(record.durationMs).toBeLessThan(1000)
        expect(Math.abs(record.endedAtMs - Date.now())).toBeLessThan(5000)
      }
      expect(tracker.getOperationStats('GET /boom')?.errorRate).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('records routes declared before it too, each method of a route under its own name', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const app = Fastify()
    app.get('/before', async () => 'before')
    let calls = 0
    await app.register(perfwatchFastify, { tracker, history })
    app.route({ method: ['GET', 'POST'], url: '/items/:id', handler: async () => 'item' })
    app.get('/flaky', async () => {
      calls++
      if (calls === 1) throw new Error('first call broke')
      return 'ok'
    })
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      const requests: [string, string][] = [
        ['GET', '/before'],
        ['GET', '/items/1'],
        ['POST', '/items/2'],
        ['GET', '/items/3'],
        ['HEAD', '/items/4'],
        ['GET', '/flaky'],
        ['GET', '/flaky'],
      ]
      for (const [method, path] of requests) {
        await fetch(url + path, { method }).then((r) => r.text())
      }
      await until(() => history.records.length === requests.length)
      expect(history.records.map((r) => [r.route, r.isError])).toEqual([
        ['GET /before', false],
        ['GET /items/:id', false],
        ['POST /items/:id', false],
        ['GET /items/:id', false],
        ['HEAD /items/:id', false],
        ['GET /flaky', true],
        ['GET /flaky', false],
      ])
      const counts = (name: string) => {
        const stats = tracker.getOperationStats(name)
        return [stats?.totalCount, stats?.failureCount]
      }
      expect(counts('GET /before')).toEqual([1, 0])
      expect(counts('GET /items/:id')).toEqual([2, 0])
      expect(counts('POST /items/:id')).toEqual([1, 0])
      expect(counts('HEAD /items/:id')).toEqual([1, 0])
      expect(counts('GET /flaky')).toEqual([2, 1])
    } finally {
      await app.close()
    }
  })

  it('reads the cache hit from x-cache, or from isCacheHit', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const overridden = arraySink()
    const server = await buildApp((app) => app.register(perfwatchFastify, { tracker, history }))
    const other = await buildApp((app) =>
      app.register(perfwatchFastify, {
        tracker,
        history: overridden,
        isCacheHit: (_req, res) => res.statusCode === 503,
      }),
    )
    try {
      for (const path of ['/api/users/1/orders/2', '/api/users/1', '/fail']) {
        await fetch(server.url + path).then((r) => r.text())
        await fetch(other.url + path).then((r) => r.text())
      }
      await until(() => history.records.length === 3 && overridden.records.length === 3)
      expect(history.records.map((r) => r.isCacheHit)).toEqual([true, false, false])
      expect(overridden.records.map((r) => r.isCacheHit)).toEqual([false, false, true])
    } finally {
      await server.close()
      await other.close()
    }
  })

  it('records a request the client aborted as aborted', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await buildApp((app) => app.register(perfwatchFastify, { tracker, history }))
    try {
      await abortAfterFirstBytes(server.url, '/hang')
      await until(() => history.records.length === 1)
      expect(history.records[0]).toMatchObject({ route: 'GET /hang', isAborted: true })
      expect(history.records[0]?.durationMs).toBeGreaterThan(0)
    } finally {
      await server.close()
    }
  })

  it('leaves status, headers and body as they are without perfwatch', async () => {
    const { tracker } = testTracker()
    const plain = await buildApp()
    const watched = await buildApp((app) =>
      app.register(perfwatchFastify, { tracker, history: arraySink() }),
    )
    try {
      await expectSameResponses(plain.url, watched.url, [
        '/api/users/1',
        '/api/users/1/orders/2',
        '/boom',
        '/teapot',
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
    const plain = await buildApp()
    const watched = await buildApp((app) =>
      app.register(perfwatchFastify, { tracker: broken, history, logger: sink.logger }),
    )
    try {
      await expectSameResponses(plain.url, watched.url, ['/api/users/1', '/api/users/2', '/fail'])
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(sink.lines).toHaveLength(1)
      expect(sink.lines[0]).toMatchObject({ code: 'PERFWATCH_INTERNAL_ERROR' })
      expect(sink.lines[0]?.err).toMatchObject({ message: 'tracker broke' })
    } finally {
      await plain.close()
      await watched.close()
    }
  })

  it("logs a throwing history through its own logger, not Fastify's", async () => {
    const { tracker } = testTracker()
    const sink = logSink()
    const history = throwingSink()
    const server = await buildApp((app) =>
      app.register(perfwatchFastify, { tracker, history, logger: sink.logger }),
    )
    try {
      expect(await fetch(`${server.url}/api/users/1`).then((r) => r.status)).toBe(200)
      await until(() => sink.lines.length === 1)
      expect(sink.lines[0]).toMatchObject({ code: 'PERFWATCH_INTERNAL_ERROR' })
      expect(sink.lines[0]?.err).toMatchObject({ message: 'sink broke' })
      expect(tracker.getOperationStats('GET /api/users/:id')?.totalCount).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('fails register for an unknown option, and ignores register options of fastify', async () => {
    const app = Fastify()
    await expect(
      app.register(perfwatchFastify, { tracer: 1 } as never).ready(),
    ).rejects.toMatchObject({ code: 'PERFWATCH_INVALID_OPTION', option: 'tracer' })
    const { tracker } = testTracker()
    const ok = Fastify()
    await ok.register(perfwatchFastify, { tracker, prefix: '/x' } as never).ready()
    await ok.close()
  })
})

describe('perfwatchDashboard (Fastify)', () => {
  it('serves under /perfwatch by default, answers every method itself, and leaves the app alone', async () => {
    const { tracker } = testTracker()
    const { store } = historyStore()
    const app = Fastify()
    await app.register(perfwatchFastify, { tracker, history: store })
    await app.register(perfwatchDashboard, { tracker, history: store })
    app.get('/users/:id', async () => 'user')
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      expect(await fetch(`${url}/users/1`).then((r) => r.text())).toBe('user')
      store.flush()
      const page = await fetch(`${url}/perfwatch`)
      expect(page.url).toBe(`${url}/perfwatch/`)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      const overview = await fetch(`${url}/perfwatch/api/overview`).then((r) => r.json())
      expect(overview).toMatchObject({ requests: 1, routes: 1 })
      const post = await fetch(`${url}/perfwatch/api/overview`, { method: 'POST' })
      expect(post.status).toBe(405)
      expect(post.headers.get('allow')).toBe('GET, HEAD')
      const missing = await fetch(`${url}/perfwatch/nothing`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toMatchObject({ error: { code: 'PERFWATCH_NOT_FOUND' } })
      // Its own requests are not recorded; a 404 outside its prefix is the app's.
      expect(tracker.getSystemSummary().trackedOperations).toEqual(['GET /users/:id'])
      expect((await fetch(`${url}/perfwatchx`)).status).toBe(404)
    } finally {
      await app.close()
      store.close()
    }
  })

  it("serves under register's prefix, its parents' included", async () => {
    const { tracker } = testTracker()
    const app = Fastify()
    await app.register(perfwatchDashboard, { tracker, prefix: '/ops' })
    await app.register(
      async (admin) => {
        await admin.register(perfwatchDashboard, { tracker, prefix: '/dash' })
      },
      { prefix: '/admin' },
    )
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    try {
      for (const prefix of ['/ops', '/admin/dash']) {
        const redirect = await fetch(`${url}${prefix}`, { redirect: 'manual' })
        expect(redirect.status, prefix).toBe(308)
        const page = await fetch(`${url}${prefix}/`)
        expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
        const live = await fetch(`${url}${prefix}/api/operations`)
        expect(live.status).toBe(200)
      }
      expect((await fetch(`${url}/perfwatch/`)).status).toBe(404)
    } finally {
      await app.close()
    }
  })

  it('fails register for a bad option', async () => {
    const app = Fastify()
    await expect(
      app.register(perfwatchDashboard, { prefix: '/x', tracer: 1 } as never).ready(),
    ).rejects.toMatchObject({ code: 'PERFWATCH_INVALID_OPTION', option: 'tracer' })
  })
})
