// Type-level tests of the web middleware: `npm run typecheck` fails when one breaks.
import { createServer } from 'node:http'
import Fastify from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import {
  createDashboard,
  type DashboardHandler,
  type DashboardHistory,
  type NodeHttpOptions,
  perfwatchHandler,
  type RequestRecord,
} from '../../src/http/node.js'
import {
  type ExpressMiddleware,
  perfwatchDashboard as expressDashboard,
  perfwatchExpress,
} from '../../src/integrations/express.js'
import {
  type FastifyOptions,
  perfwatchDashboard as fastifyDashboard,
  perfwatchFastify,
} from '../../src/integrations/fastify.js'
import type { HistoryStore } from '../../src/storage/history-store.js'

describe('web middleware types', () => {
  it('types the record as readonly fields with units in their names', () => {
    expectTypeOf<RequestRecord>().toEqualTypeOf<{
      readonly route: string
      readonly method: string
      readonly statusCode: number
      readonly durationMs: number
      readonly isCacheHit: boolean
      readonly isError: boolean
      readonly isAborted: boolean
      readonly endedAtMs: number
    }>()
  })

  it('fits node:http, Express and Fastify as they are called', () => {
    const listener = perfwatchHandler((_req, res) => res.end())
    expectTypeOf(createServer(listener)).toBeObject()
    expectTypeOf(perfwatchExpress()).toEqualTypeOf<ExpressMiddleware>()
    const app = Fastify()
    expectTypeOf(app.register(perfwatchFastify, { operationPrefix: 'http ' })).toBeObject()
    expectTypeOf<FastifyOptions['isCacheHit']>().parameter(1).toHaveProperty('getHeader')
    expectTypeOf<NodeHttpOptions['route']>().toEqualTypeOf<
      | ((
          req: import('node:http').IncomingMessage,
          res: import('node:http').ServerResponse,
        ) => string | undefined)
      | undefined
    >()
  })

  it('rejects the node:http-only route option elsewhere at compile time', () => {
    // @ts-expect-error: route is for perfwatchHandler only
    expectTypeOf(() => perfwatchExpress({ route: () => '/' })).toBeFunction()
    // @ts-expect-error: an unknown option
    expectTypeOf(() => perfwatchHandler(() => {}, { tracer: 1 })).toBeFunction()
  })

  it("fits the history store to the dashboard's history, without http/ importing it", () => {
    expectTypeOf<HistoryStore>().toExtend<DashboardHistory>()
    expectTypeOf<{ overview(): unknown }>().not.toExtend<DashboardHistory>()
  })

  it('fits the dashboards to node:http, Express and Fastify in one line each', () => {
    // Typed, never called: a dashboard needs a real store to be built.
    const setups = (history: HistoryStore) => {
      const dashboard = createDashboard({ history, allowRotate: true, prefix: '/ops' })
      expectTypeOf(dashboard).toEqualTypeOf<DashboardHandler>()
      expectTypeOf(dashboard).returns.toEqualTypeOf<boolean>()
      expectTypeOf(createServer((req, res) => dashboard(req, res) || res.end())).toBeObject()
      expectTypeOf(expressDashboard({ history })).toEqualTypeOf<ExpressMiddleware>()
      expectTypeOf(Fastify().register(fastifyDashboard, { history, prefix: '/ops' })).toBeObject()
      expectTypeOf(
        createDashboard({ authorize: async (req) => req.headers.host !== undefined }),
      ).toEqualTypeOf<DashboardHandler>()
    }
    expectTypeOf(setups).toBeFunction()
  })

  it('rejects an authorize answer other than true, false, 401 or 403 at compile time', () => {
    // @ts-expect-error: authorize answers a boolean, 401 or 403
    expectTypeOf(() => createDashboard({ authorize: () => 200 })).toBeFunction()
    // @ts-expect-error: an unknown option
    expectTypeOf(() => createDashboard({ allowrotate: true })).toBeFunction()
  })
})
