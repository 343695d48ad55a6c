import { describe, expect, it } from 'vitest'
import {
  clientError,
  failure,
  isCrossOrigin,
  operationsView,
  parseInteger,
  parseParams,
  pathUnder,
  refusalOf,
} from '../../src/http/dashboard-api.js'
import {
  InvalidArgumentError,
  InvalidOptionError,
  UnknownOperationError,
  UnknownRouteError,
} from '../../src/index.js'
import { thrownBy } from '../helpers/thrown.js'
import { testTracker } from '../helpers/tracker.js'

describe('pathUnder', () => {
  it.each([
    ['/perfwatch', '/perfwatch', ''],
    ['/perfwatch', '/perfwatch/', '/'],
    ['/perfwatch', '/perfwatch/api/overview', '/api/overview'],
    ['/perfwatch', '/perfwatchx', undefined],
    ['/perfwatch', '/perfwatc', undefined],
    ['/perfwatch', '/other/perfwatch/', undefined],
    ['/perfwatch', '/', undefined],
    ['/a/b', '/a/b/c', '/c'],
    ['', '/', '/'],
    ['', '/api/overview', '/api/overview'],
  ])('under %j, %j is %j', (prefix, path, expected) => {
    expect(pathUnder(prefix, path)).toBe(expected)
  })
})

describe('refusalOf', () => {
  it('lets in on true only', () => {
    expect(refusalOf(true)).toBeUndefined()
  })

  it('refuses 403 as forbidden', () => {
    expect(refusalOf(403)).toEqual({
      status: 403,
      code: 'PERFWATCH_FORBIDDEN',
      message: 'authorize refused this request',
    })
  })

  it.each([false, 401, undefined, null, 'yes', 1, 200, {}])(
    'refuses %j as unauthorized',
    (verdict) => {
      expect(refusalOf(verdict)).toEqual({
        status: 401,
        code: 'PERFWATCH_UNAUTHORIZED',
        message: 'authorize did not let this request in: it needs credentials',
      })
    },
  )
})

describe('isCrossOrigin', () => {
  it.each([
    [undefined, '127.0.0.1:8080', false],
    ['http://127.0.0.1:8080', '127.0.0.1:8080', false],
    ['https://127.0.0.1:8080', '127.0.0.1:8080', false], // the host decides, not the scheme
    ['http://127.0.0.1:8081', '127.0.0.1:8080', true],
    ['https://evil.example', 'service.example', true],
    ['null', 'service.example', true],
    ['not a url', 'service.example', true],
    ['http://service.example', undefined, true],
  ])('Origin %j against Host %j: %j', (origin, host, expected) => {
    expect(isCrossOrigin(origin, host)).toBe(expected)
  })
})

describe('parseInteger', () => {
  it('takes the decimal digits of an integer within the bounds, the bounds included', () => {
    expect(parseInteger('days', '1', 1, 365)).toBe(1)
    expect(parseInteger('days', '365', 1, 365)).toBe(365)
    expect(parseInteger('days', '007', 1, 365)).toBe(7)
    expect(parseInteger('limit', '0', 0, Number.MAX_SAFE_INTEGER)).toBe(0)
    expect(parseInteger('limit', '9007199254740991', 0, Number.MAX_SAFE_INTEGER)).toBe(
      Number.MAX_SAFE_INTEGER,
    )
  })

  it.each(['0', '366', '-1', '+7', '1.0', '1e2', '0x10', ' 7', '7 ', '', 'NaN', 'Infinity'])(
    'refuses days=%j',
    (value) => {
      const error = thrownBy(() => parseInteger('days', value, 1, 365))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as Error).message).toBe(
        `days must be an integer from 1 to 365, got ${JSON.stringify(value)}`,
      )
    },
  )

  it('says ">= min" when there is no upper bound', () => {
    expect(
      thrownBy(() => parseInteger('limit', '9007199254740992', 0, Number.MAX_SAFE_INTEGER)),
    ).toMatchObject({ message: 'limit must be an integer >= 0, got "9007199254740992"' })
  })
})

describe('parseParams', () => {
  const query = (text: string) => new URLSearchParams(text)

  it('reads the parameters an endpoint takes, and nothing when none is given', () => {
    expect(parseParams(query(''), ['days'], 'api/overview')).toEqual({})
    expect(parseParams(query('days=30'), ['days'], 'api/overview')).toEqual({ days: 30 })
    expect(parseParams(query('limit=0&days=1'), ['days', 'limit'], 'api/slow-routes')).toEqual({
      days: 1,
      limit: 0,
    })
    expect(
      parseParams(query('route=GET+%2Fusers%2F%3Aid'), ['days', 'route'], 'api/route-trend'),
    ).toEqual({ route: 'GET /users/:id' })
  })

  it('refuses a parameter the endpoint does not take, naming what it takes', () => {
    expect(thrownBy(() => parseParams(query('limit=1'), ['days'], 'api/overview'))).toMatchObject({
      code: 'PERFWATCH_INVALID_ARGUMENT',
      message: 'Unknown parameter "limit" of api/overview: it takes days',
    })
    expect(
      thrownBy(() => parseParams(query('x'), ['days', 'limit'], 'api/slow-routes')),
    ).toMatchObject({ message: 'Unknown parameter "x" of api/slow-routes: it takes days, limit' })
    expect(thrownBy(() => parseParams(query('days=1'), [], 'api/storage'))).toMatchObject({
      message: 'Unknown parameter "days" of api/storage: it takes no parameters',
    })
  })

  it('refuses a parameter given twice, even with one value', () => {
    expect(
      thrownBy(() => parseParams(query('days=7&days=7'), ['days'], 'api/overview')),
    ).toMatchObject({ message: 'Parameter "days" is given more than once' })
  })

  it('refuses a limit out of range and a route that is empty or too long', () => {
    expect(thrownBy(() => parseParams(query('limit=-1'), ['limit'], 'x'))).toMatchObject({
      message: 'limit must be an integer >= 0, got "-1"',
    })
    expect(parseParams(query(`route=${'a'.repeat(1024)}`), ['route'], 'x').route).toHaveLength(1024)
    for (const route of ['', 'a'.repeat(1025)]) {
      const error = thrownBy(() => parseParams(query(`route=${route}`), ['route'], 'x'))
      expect(error).toBeInstanceOf(InvalidArgumentError)
      expect((error as Error).message).toMatch(
        /^route must be a route of at most 1024 characters, such as "GET \/users\/:id", got /,
      )
    }
  })
})

describe('clientError and failure', () => {
  it('answers a bad parameter or an unknown route with a 400 of its own code and message', () => {
    const invalid = new InvalidArgumentError('days', 'an integer', 0)
    expect(clientError(invalid)).toEqual({
      status: 400,
      code: 'PERFWATCH_INVALID_ARGUMENT',
      message: invalid.message,
    })
    const unknown = new UnknownRouteError('GET /x')
    expect(clientError(unknown)).toEqual({
      status: 400,
      code: 'PERFWATCH_UNKNOWN_ROUTE',
      message: unknown.message,
    })
  })

  it('leaves every other error to the 500', () => {
    for (const error of [
      new Error('disk'),
      new InvalidOptionError('x', 'y', 1),
      new UnknownOperationError('op'),
      null,
      undefined,
      'PERFWATCH_INVALID_ARGUMENT',
    ]) {
      expect(clientError(error)).toBeUndefined()
    }
  })

  it('points a failure to the log', () => {
    expect(failure('api/overview')).toEqual({
      status: 500,
      code: 'PERFWATCH_API_FAILED',
      message: "The dashboard could not answer api/overview: the server's log has the error",
    })
  })
})

describe('operationsView', () => {
  it('lists every operation by name with its recent and baseline quantiles', () => {
    const { tracker, clock } = testTracker({ baselineSamples: 100 })
    for (let i = 1; i <= 100; i++) {
      clock.advance(10)
      tracker.record('b.learned', i)
    }
    tracker.record('a.fresh', 4)
    tracker.record('c.failing', 8, { success: false })
    const view = operationsView(tracker.getSystemSummary())
    expect(view.totalSamples).toBe(102)
    expect(view.internalErrors).toBe(0)
    expect(view.currentlyDegraded).toEqual([])
    expect(view.operations.map((op) => op.operation)).toEqual(['a.fresh', 'b.learned', 'c.failing'])
    const learned = tracker.getOperationStats('b.learned')
    expect(view.operations[1]).toEqual({
      operation: 'b.learned',
      state: 'learning',
      degradedSince: null,
      sampleCount: 100,
      totalCount: 100,
      callsPerSecond: learned?.callsPerSecond,
      errorRate: 0,
      recent: { meanMs: 50.5, p50Ms: 50.5, p95Ms: learned?.recentP95, p99Ms: learned?.recentP99 },
      baseline: {
        meanMs: 50.5,
        p50Ms: 50.5,
        p95Ms: learned?.baseline?.p95,
        p99Ms: learned?.baseline?.p99,
        sampleCount: 100,
        establishedAt: learned?.baseline?.establishedAt,
      },
    })
    expect(view.operations[0]).toMatchObject({ recent: { meanMs: 4 }, baseline: null })
    expect(view.operations[2]).toMatchObject({ errorRate: 1, recent: { p50Ms: 8 } })
  })

  it('gives null recent figures to an operation whose window is empty, and sorts the degraded', () => {
    const { tracker } = testTracker()
    tracker.record('op', 3)
    const summary = tracker.getSystemSummary()
    const stats = summary.operations.op
    if (stats === undefined) throw new Error('no op')
    const empty = { ...stats, recentMean: null, recentP50: null, recentP95: null, recentP99: null }
    const view = operationsView({
      ...summary,
      currentlyDegraded: ['z', 'op'],
      operations: { op: empty },
    })
    expect(view.operations[0]?.recent).toBeNull()
    expect(view.currentlyDegraded).toEqual(['op', 'z'])
  })
})
