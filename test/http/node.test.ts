import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { perfwatchHandler } from '../../src/http/node.js'
import {
  abortAfterFirstBytes,
  arraySink,
  expectSameResponses,
  listen,
  throwingSink,
  throwingTracker,
  until,
} from '../helpers/http.js'
import { ERROR, logSink } from '../helpers/log-sink.js'
import { testTracker } from '../helpers/tracker.js'

function app(req: IncomingMessage, res: ServerResponse) {
  if (req.url === '/boom') throw new Error('handler broke')
  if (req.url === '/missing') {
    res.statusCode = 404
    res.end('not here')
    return
  }
  if (req.url === '/fail') {
    res.statusCode = 503
    res.end('down')
    return
  }
  if (req.url === '/hang') {
    res.write('partial')
    return
  }
  if (req.url?.startsWith('/cached')) res.setHeader('X-Cache', 'hit')
  res.setHeader('content-type', 'text/plain')
  res.end(`hello ${req.url}`)
}

describe('perfwatchHandler', () => {
  it('records the default template: ids become :id, the query string is dropped', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = await listen(createServer(perfwatchHandler(app, { tracker, history })))
    try {
      await fetch(`${server.url}/users/1?x=1`).then((r) => r.text())
      await fetch(`${server.url}/users/2`).then((r) => r.text())
      await fetch(`${server.url}/users/4f9c2a1e-7b3d-4c5e-9a8b-1c2d3e4f5a6b/orders/7`).then((r) =>
        r.text(),
      )
      await until(() => history.records.length === 3)
      expect(history.records.map((r) => r.route)).toEqual([
        'GET /users/:id',
        'GET /users/:id',
        'GET /users/:id/orders/:id',
      ])
      expect(tracker.getOperationStats('GET /users/:id')?.totalCount).toBe(2)
      expect(tracker.getOperationStats('GET /users/1')).toBeUndefined()
    } finally {
      await server.close()
    }
  })

  it('takes the route option, and 404s or an undefined route share (unmatched)', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const route = (req: IncomingMessage) => (req.url === '/other' ? undefined : '/known')
    const server = await listen(createServer(perfwatchHandler(app, { tracker, history, route })))
    try {
      await fetch(`${server.url}/a`).then((r) => r.text())
      await fetch(`${server.url}/other`).then((r) => r.text())
      await until(() => history.records.length === 2)
      expect(history.records.map((r) => r.route)).toEqual(['GET /known', '(unmatched)'])
    } finally {
      await server.close()
    }
    const defaults = arraySink()
    const second = await listen(createServer(perfwatchHandler(app, { tracker, history: defaults })))
    try {
      await fetch(`${second.url}/missing`).then((r) => r.text())
      await until(() => defaults.records.length === 1)
      expect(defaults.records[0]?.route).toBe('(unmatched)')
      expect(defaults.records[0]?.statusCode).toBe(404)
      expect(tracker.getOperationStats('(unmatched)')?.totalCount).toBe(2) // both servers'
    } finally {
      await second.close()
    }
  })

  it('records status, error, cache hit and the duration on the injected clock', async () => {
    const { tracker, clock } = testTracker()
    const history = arraySink()
    let reads = 0
    const ticking = () => {
      reads++
      clock.advance(7)
      return clock()
    }
    const server = await listen(
      createServer(
        perfwatchHandler(app, { tracker, history, clock: ticking, operationPrefix: 'web ' }),
      ),
    )
    try {
      await fetch(`${server.url}/cached/1`).then((r) => r.text())
      await fetch(`${server.url}/fail`).then((r) => r.text())
      await until(() => history.records.length === 2)
      const [hit, failed] = history.records
      expect(hit).toEqual({
        route: 'GET /cached/:id',
        method: 'GET',
        statusCode: 200,
        durationMs: 7,
        isCacheHit: true,
        isError: false,
        isAborted: false,
        endedAtMs: hit?.endedAtMs,
      })
      expect(hit?.endedAtMs).toBeGreaterThan(1000)
      expect(failed).toMatchObject({
        route: 'GET /fail',
        statusCode: 503,
        isError: true,
        isCacheHit: false,
      })
      expect(reads).toBe(4) // two per request
      expect(tracker.getOperationStats('web GET /cached/:id')?.totalCount).toBe(1)
      expect(tracker.getOperationStats('web GET /fail')?.errorRate).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('takes isCacheHit over the header', async () => {
    const history = arraySink()
    const isCacheHit = (req: IncomingMessage) => req.url === '/plain'
    const { tracker } = testTracker()
    const server = await listen(
      createServer(perfwatchHandler(app, { tracker, history, isCacheHit })),
    )
    try {
      await fetch(`${server.url}/plain`).then((r) => r.text())
      await fetch(`${server.url}/cached`).then((r) => r.text())
      await until(() => history.records.length === 2)
      expect(history.records.map((r) => r.isCacheHit)).toEqual([true, false])
    } finally {
      await server.close()
    }
  })

  it('counts a throwing listener as an error and passes the throw on', async () => {
    const history = arraySink()
    const { tracker } = testTracker()
    const thrown: unknown[] = []
    const handler = perfwatchHandler(app, { tracker, history })
    const server = await listen(
      createServer((req, res) => {
        try {
          handler(req, res)
        } catch (error) {
          thrown.push(error)
          res.statusCode = 418
          res.end()
        }
      }),
    )
    try {
      await fetch(`${server.url}/boom`).then((r) => r.text())
      await until(() => history.records.length === 1)
      expect((thrown[0] as Error).message).toBe('handler broke')
      expect(history.records[0]).toMatchObject({ statusCode: 418, isError: true })
    } finally {
      await server.close()
    }
  })

  it('returns a promise unchanged and never calls its then (a rejection stays unhandled)', async () => {
    const history = arraySink()
    const { tracker } = testTracker()
    let thenCalls = 0
    class Watched<T> extends Promise<T> {
      // biome-ignore lint/suspicious/noThenProperty: counts the calls of a real promise's then
      override then<A = T, B = never>(
        onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
        onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        thenCalls++
        return super.then(onFulfilled, onRejected)
      }
    }
    const pending = new Watched<void>((resolve) => setTimeout(resolve, 5))
    const handler = perfwatchHandler(
      (_req, res) => {
        setTimeout(() => res.end('late'), 20)
        return pending
      },
      { tracker, history },
    )
    const returned: unknown[] = []
    const server = await listen(createServer((req, res) => returned.push(handler(req, res))))
    try {
      await fetch(`${server.url}/x`).then((r) => r.text())
      await until(() => history.records.length === 1)
      expect(returned[0]).toBe(pending)
      expect(thenCalls).toBe(0)
      expect(history.records[0]).toMatchObject({ statusCode: 200, isError: false })
    } finally {
      await server.close()
    }
  })

  it('records a request the client aborted as aborted, and as a failure', async () => {
    const history = arraySink()
    const { tracker } = testTracker()
    const server = await listen(createServer(perfwatchHandler(app, { tracker, history })))
    try {
      await abortAfterFirstBytes(server.url, '/hang')
      await until(() => history.records.length === 1)
      expect(history.records[0]).toMatchObject({
        route: 'GET /hang',
        isAborted: true,
        isError: false,
      })
      expect(tracker.getOperationStats('GET /hang')?.errorRate).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('leaves the response as it was without perfwatch', async () => {
    const { tracker } = testTracker()
    const plain = await listen(createServer(app))
    const watched = await listen(
      createServer(perfwatchHandler(app, { tracker, history: arraySink() })),
    )
    try {
      await expectSameResponses(plain.url, watched.url, [
        '/users/1',
        '/cached/2',
        '/fail',
        '/missing',
      ])
    } finally {
      await plain.close()
      await watched.close()
    }
  })

  it('never lets a throwing history, tracker or isCacheHit change the response', async () => {
    const { tracker, lines } = testTracker()
    const history = throwingSink()
    const broken = throwingTracker(tracker)
    const isCacheHit = () => {
      throw new Error('cache check broke')
    }
    const { logger, lines: logged } = logSink()
    const server = await listen(
      createServer(perfwatchHandler(app, { tracker: broken, history, isCacheHit, logger })),
    )
    const plain = await listen(createServer(app))
    try {
      await expectSameResponses(plain.url, server.url, ['/users/0', '/users/1', '/users/2'])
    } finally {
      await server.close()
      await plain.close()
    }
    expect(lines).toEqual([]) // the tracker's own logger is not the adapter's
    expect(logged).toHaveLength(1) // the first failure; the others within the minute are held back
    expect(logged[0]?.err).toMatchObject({ message: 'cache check broke' }) // the first of three
  })

  it('records a request whose route option throws as (unmatched), and logs it', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const sink = logSink()
    const route = () => {
      throw new Error('route broke')
    }
    const server = await listen(
      createServer(perfwatchHandler(app, { tracker, history, route, logger: sink.logger })),
    )
    try {
      await fetch(`${server.url}/users/1`).then((r) => r.text())
      await until(() => history.records.length === 1)
      expect(history.records[0]?.route).toBe('(unmatched)')
      expect(sink.lines[0]?.err).toMatchObject({ message: 'route broke' })
    } finally {
      await server.close()
    }
  })

  it('still records into history when the tracker throws', async () => {
    const { tracker } = testTracker()
    const broken = throwingTracker(tracker)
    const history = arraySink()
    const sink = logSink()
    const server = await listen(
      createServer(perfwatchHandler(app, { tracker: broken, history, logger: sink.logger })),
    )
    try {
      await fetch(`${server.url}/users/1`).then((r) => r.text())
      await until(() => history.records.length === 1)
      expect(sink.lines[0]?.err).toMatchObject({ message: 'tracker broke' })
    } finally {
      await server.close()
    }
  })

  it('logs its own failures at error with a code, at most once a minute', async () => {
    const { tracker } = testTracker()
    const sink = logSink()
    const history = throwingSink()
    const server = await listen(
      createServer(perfwatchHandler(app, { tracker, history, logger: sink.logger })),
    )
    try {
      for (let i = 0; i < 3; i++) await fetch(`${server.url}/users/${i}`).then((r) => r.text())
      await until(() => tracker.getOperationStats('GET /users/:id')?.totalCount === 3)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(sink.lines).toHaveLength(1)
      expect(sink.lines[0]).toMatchObject({ level: ERROR, code: 'PERFWATCH_INTERNAL_ERROR' })
      expect(sink.lines[0]?.err).toMatchObject({ message: 'sink broke' })
    } finally {
      await server.close()
    }
  })

  it('names every route right, past the 2,000 template and method pairs it keeps made', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const route = (req: IncomingMessage) => req.url
    const server = await listen(
      createServer(perfwatchHandler(app, { tracker, history, route, operationPrefix: 'web ' })),
    )
    try {
      // POST /r1 first; GET /r1, /r0 and /r2002 again at the end (cached, cached, past the cap).
      const requests = Array.from({ length: 2003 }, (_, i) => [i === 1 ? 'POST' : 'GET', `/r${i}`])
      requests.push(['GET', '/r1'], ['GET', '/r0'], ['GET', '/r2002'])
      for (const [method, path] of requests) {
        await fetch(server.url + path, { method }).then((r) => r.text())
      }
      await until(() => history.records.length === requests.length)
      expect(history.records.map((r) => r.route)).toEqual(
        requests.map(([method, path]) => `${method} ${path}`),
      )
      expect(tracker.getOperationStats('web GET /r0')?.totalCount).toBe(2)
      expect(tracker.getOperationStats('web POST /r1')?.totalCount).toBe(1)
      // Every request reached the tracker, the names past its maxOperations in its overflow.
      expect(tracker.getSystemSummary().totalSamples).toBe(requests.length)
    } finally {
      await server.close()
    }
  })

  it('records nothing into a disabled tracker, and every request into the history', async () => {
    const { tracker, lines } = testTracker({ enabled: false })
    const history = arraySink()
    const server = await listen(createServer(perfwatchHandler(app, { tracker, history })))
    try {
      for (const path of ['/users/1', '/users/2']) {
        await fetch(server.url + path).then((r) => r.text())
      }
      await until(() => history.records.length === 2)
      expect(history.records.map((r) => r.route)).toEqual(['GET /users/:id', 'GET /users/:id'])
      expect(tracker.getSystemSummary().trackedOperations).toEqual([])
      expect(lines).toEqual([])
    } finally {
      await server.close()
    }
  })

  it('rejects unknown options and wrong values before any request', () => {
    expect(() => perfwatchHandler(app, { tracer: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'PERFWATCH_INVALID_OPTION', option: 'tracer' }),
    )
    expect(() => perfwatchHandler(app, { history: {} as never })).toThrow(/history must be/)
    expect(() => perfwatchHandler(app, { route: 'x' as never })).toThrow(/route must be a function/)
    expect(() => perfwatchHandler(app, { operationPrefix: 1 as never })).toThrow(/operationPrefix/)
    expect(() => perfwatchHandler(app, { isCacheHit: true as never })).toThrow(/isCacheHit/)
    expect(() => perfwatchHandler(app, { logger: {} as never })).toThrow(/logger/)
    expect(() => perfwatchHandler(app, { tracker: {} as never })).toThrow(/tracker/)
    // Recording goes through the tracker's targets: a look-alike with only `record` is refused.
    const lookAlike = { record: () => {} } as never
    expect(() => perfwatchHandler(app, { tracker: lookAlike })).toThrow(/PerformanceTracker/)
    expect(() => perfwatchHandler(app, null as never)).toThrow(/options must be an object/)
    expect(() => perfwatchHandler('x' as never)).toThrow(TypeError)
  })
})
