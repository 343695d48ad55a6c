/**
 * One finished HTTP request, as every adapter (`perfwatch/http`, `perfwatch/express`,
 * `perfwatch/fastify`) reports it. Built once per request with every field set, in this order,
 * so all records share one shape; a sink may keep the object itself (it is never reused or
 * changed after `recordRequest`), so appending it to a buffer costs no further allocation.
 */
export interface RequestRecord {
  /** `'GET /users/:id'`: the method and the route template, never the raw URL; `'(unmatched)'` for requests no route matched. */
  readonly route: string
  /** The request method as received, such as `GET`. */
  readonly method: string
  /** The response status code; for an aborted request, the one set when the client went away. */
  readonly statusCode: number
  /** From the request's start to the response's `finish` (to the connection's `close` when aborted), in ms. */
  readonly durationMs: number
  /** Whether the response was served from a cache (by default: an `x-cache: HIT` response header). */
  readonly isCacheHit: boolean
  /** A status >= 500, or an error thrown by the handler that the framework reported. */
  readonly isError: boolean
  /** The client closed the connection before the response finished. */
  readonly isAborted: boolean
  /** When the request ended, in epoch ms (the middleware's clock at finish or close). */
  readonly endedAtMs: number
}

/** Receives every finished request: the middleware's `history` option (a history store, or your own). */
export interface RequestSink {
  /** Called once per finished request, on the request's own turn: keep it O(1); it must not throw (a throw is logged and dropped). */
  recordRequest(record: RequestRecord): void
}

/** The route of the requests no route matched (404s), all in one bucket. */
export const UNMATCHED_ROUTE = '(unmatched)'
