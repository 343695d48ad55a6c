import { Agent, createServer, get, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect } from 'node:net'
import express5 from 'express'
import { describe, expect, it } from 'vitest'
import { perfwatchHandler } from '../../src/http/node.js'
import { perfwatchExpress } from '../../src/integrations/express.js'
import { abortAfterFirstBytes, arraySink, listen, until } from '../helpers/http.js'
import { testTracker } from '../helpers/tracker.js'

// How a request is watched (src/http/response-watch.ts): through Node's diagnostics channels for
// node:http servers, with listeners otherwise (light-my-request's responses: the regression
// test of issue 14). These tests run real servers, so the channel path.

function app(req: IncomingMessage, res: ServerResponse) {
  if (req.url === '/hang') {
    res.write('partial')
    return
  }
  res.end(`hello ${req.url}`)
}

/** Time for a record that should not come (a second one, another server's) to show up. */
const aMoment = () => new Promise((resolve) => setTimeout(resolve, 50))

/** GET over `agent`, the body read to its end. */
function getWith(agent: Agent, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve(body))
    }).once('error', reject)
  })
}

describe('watching responses', () => {
  it('records each request of a kept-alive connection once, and nothing when it closes after them', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const server = createServer(perfwatchHandler(app, { tracker, history }))
    let connections = 0
    let closed = 0
    server.on('connection', (socket) => {
      connections++
      socket.on('close', () => closed++)
    })
    const listening = await listen(server)
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      for (let i = 0; i < 5; i++) await getWith(agent, `${listening.url}/users/${i}`)
      await until(() => history.records.length === 5)
      agent.destroy()
      await until(() => closed === 1)
      expect(connections).toBe(1)
      expect(history.records).toHaveLength(5)
      expect(history.records.every((r) => !r.isAborted && r.statusCode === 200)).toBe(true)
      expect(tracker.getOperationStats('GET /users/:id')?.totalCount).toBe(5)
    } finally {
      agent.destroy()
      await listening.close()
    }
  })

  it('records pipelined requests once each; one queued behind an aborted request was never answered', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const slowly = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 20)
      else app(req, res)
    }
    const server = await listen(createServer(perfwatchHandler(slowly, { tracker, history })))
    // Two requests in one write: Node answers them in order, the second waiting for the first.
    const send = (paths: string[], onFirstBytes: (socket: ReturnType<typeof connect>) => void) => {
      const { hostname, port } = new URL(server.url)
      const socket = connect(Number(port), hostname, () => {
        socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`).join(''))
      })
      socket.once('data', () => onFirstBytes(socket))
      return socket
    }
    try {
      let received = ''
      const both = send(['/slow', '/users/1'], () => {})
      both.on('data', (chunk) => {
        received += chunk
      })
      await until(() => history.records.length === 2 && received.includes('hello /users/1'))
      both.destroy()
      expect(received.indexOf('slow')).toBeLessThan(received.indexOf('hello /users/1'))
      expect(history.records.map((r) => [r.route, r.isAborted])).toEqual([
        ['GET /slow', false],
        ['GET /users/:id', false],
      ])
      send(['/hang', '/users/2'], (socket) => socket.destroy())
      await until(() => history.records.length === 3)
      await aMoment()
      // As without perfwatch: Node never finishes nor closes the response queued behind.
      expect(history.records.slice(2).map((r) => [r.route, r.isAborted])).toEqual([
        ['GET /hang', true],
      ])
    } finally {
      await server.close()
    }
  })

  it("finds each request's own watch when its middleware runs after another request started", async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const express = express5()
    // The POST reaches perfwatch's middleware 40 ms after it started, when the GET has started
    // since (at 20 ms): the request that started last is not the POST's.
    express.use((req, _res, next) => {
      setTimeout(next, req.method === 'POST' ? 40 : 60)
    })
    express.use(perfwatchExpress({ tracker, history }))
    express.post('/orders/:id', (_req, res) => {
      res.status(201).send('created')
    })
    express.get('/users/:id', (_req, res) => {
      res.send('ok')
    })
    const server = await listen(createServer(express))
    try {
      const post = fetch(`${server.url}/orders/1`, { method: 'POST' }).then((r) => r.text())
      await new Promise((resolve) => setTimeout(resolve, 20))
      await Promise.all([post, fetch(`${server.url}/users/2`).then((r) => r.text())])
      await until(() => history.records.length === 2)
      expect(history.records.map((r) => [r.route, r.method, r.statusCode])).toEqual([
        ['POST /orders/:id', 'POST', 201],
        ['GET /users/:id', 'GET', 200],
      ])
      // Each timed from its own middleware on: neither includes the wait before it.
      for (const record of history.records) expect(record.durationMs).toBeLessThan(30)
      expect(tracker.getOperationStats('POST /orders/:id')?.totalCount).toBe(1)
      expect(tracker.getOperationStats('GET /users/:id')?.totalCount).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('records a request once per adapter watching it, finished or aborted', async () => {
    const { tracker } = testTracker()
    const outer = arraySink()
    const inner = arraySink()
    const express = express5()
    express.use(perfwatchExpress({ tracker, history: inner, operationPrefix: 'inner ' }))
    express.get('/users/:id', (_req, res) => {
      res.send('ok')
    })
    express.get('/hang', (_req, res) => {
      res.write('partial')
    })
    const server = await listen(
      createServer(
        perfwatchHandler((req, res) => express(req as never, res as never), {
          tracker,
          history: outer,
        }),
      ),
    )
    try {
      await fetch(`${server.url}/users/7`).then((r) => r.text())
      await abortAfterFirstBytes(server.url, '/hang')
      await until(() => outer.records.length === 2 && inner.records.length === 2)
      await aMoment()
      expect(outer.records.map((r) => [r.route, r.isAborted])).toEqual([
        ['GET /users/:id', false],
        ['GET /hang', true],
      ])
      expect(inner.records.map((r) => [r.route, r.isAborted])).toEqual([
        ['GET /users/:id', false],
        ['GET /hang', true],
      ])
    } finally {
      await server.close()
    }
  })

  it('records nothing of another server in the process, and adds no key to its responses', async () => {
    const { tracker } = testTracker()
    const history = arraySink()
    const keysOf: Record<string, string[]> = {}
    const keeping = (name: string) => (req: IncomingMessage, res: ServerResponse) => {
      app(req, res)
      keysOf[name] = Object.keys(res)
    }
    const watched = await listen(
      createServer(perfwatchHandler(keeping('watched'), { tracker, history })),
    )
    const plain = await listen(createServer(keeping('plain')))
    try {
      await fetch(`${watched.url}/a`).then((r) => r.text())
      await fetch(`${plain.url}/b`).then((r) => r.text())
      await abortAfterFirstBytes(plain.url, '/hang')
      await until(() => history.records.length === 1)
      await aMoment()
      expect(history.records.map((r) => r.route)).toEqual(['GET /a'])
      expect(keysOf.watched).toEqual(keysOf.plain)
      expect(JSON.stringify(keysOf.watched)).not.toContain('perfwatch')
    } finally {
      await watched.close()
      await plain.close()
    }
  })
})
