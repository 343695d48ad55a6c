import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import Fastify from 'fastify'
import { expect, it } from 'vitest'
import { perfwatchHandler } from '../../src/http/node.js'
import { perfwatchExpress } from '../../src/integrations/express.js'
import { perfwatchFastify } from '../../src/integrations/fastify.js'
import { arraySink } from '../helpers/http.js'
import { testTracker } from '../helpers/tracker.js'

// Issue 14 (found while benchmarking the web middleware): a response that emits `finish` but
// never becomes `writableFinished`, as light-my-request's do (`fastify.inject`, `inject(app)`),
// was recorded twice: at `finish` (Fastify: `onResponse`) and again at `close` as aborted. With
// light-my-request's own second `finish`, node:http and Express recorded some requests three
// times.

it('records each request of fastify.inject once, not aborted', async () => {
  const { tracker } = testTracker()
  const history = arraySink()
  const app = Fastify()
  await app.register(perfwatchFastify, { tracker, history })
  app.get('/users/:id', async () => ({ user: true }))
  try {
    for (const id of [1, 2, 3]) {
      expect((await app.inject({ url: `/users/${id}` })).statusCode).toBe(200)
    }
    await new Promise((resolve) => setImmediate(resolve)) // light-my-request's `close`
    expect(history.records.map((r) => [r.route, r.isAborted])).toEqual([
      ['GET /users/:id', false],
      ['GET /users/:id', false],
      ['GET /users/:id', false],
    ])
    expect(tracker.getOperationStats('GET /users/:id')?.totalCount).toBe(3)
  } finally {
    await app.close()
  }
})

it.each([
  [
    'node:http',
    (options: Parameters<typeof perfwatchHandler>[1]) => {
      const handler = perfwatchHandler(() => {}, { ...options, route: () => '/users/:id' })
      return (req: IncomingMessage, res: ServerResponse) => handler(req, res)
    },
    'GET /users/:id',
  ],
  [
    'Express',
    (options: Parameters<typeof perfwatchExpress>[0]) => {
      const middleware = perfwatchExpress(options)
      return (req: IncomingMessage, res: ServerResponse) => middleware(req, res, () => {})
    },
    '(unmatched)', // no router ran
  ],
])(
  'records a response with two finish events and no writableFinished once (%s)',
  (_name, build, route) => {
    const { tracker } = testTracker()
    const history = arraySink()
    const listener = build({ tracker, history })
    const req = new IncomingMessage(new Socket())
    req.method = 'GET'
    req.url = '/users/1'
    const res = new ServerResponse(req)
    listener(req, res)
    // What light-my-request does: Node's `end` and its own emit `finish`, then `close` follows.
    res.emit('finish')
    res.emit('finish')
    res.emit('close')
    expect(res.writableFinished).toBe(false)
    expect(history.records.map((r) => [r.route, r.isAborted])).toEqual([[route, false]])
  },
)

it('still records a response closed before finish as aborted, once', () => {
  const { tracker } = testTracker()
  const history = arraySink()
  const handler = perfwatchHandler(() => {}, { tracker, history, route: () => '/users/:id' })
  const req = new IncomingMessage(new Socket())
  req.method = 'GET'
  const res = new ServerResponse(req)
  handler(req, res)
  res.emit('close')
  res.emit('close')
  expect(history.records.map((r) => [r.route, r.isAborted])).toEqual([['GET /users/:id', true]])
})
