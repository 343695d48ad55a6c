// Type-level tests of the web middleware: `npm run typecheck` fails when one breaks.
import { createServer } from 'node:http'
import Fastify from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import { type NodeHttpOptions, perfwatchHandler, type RequestRecord } from '../../src/http/node.js'
import { type ExpressMiddleware, perfwatchExpress } from '../../src/integrations/express.js'
import { type FastifyOptions, perfwatchFastify } from '../../src/integrations/fastify.js'

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
})
