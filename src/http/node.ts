import type { IncomingMessage, ServerResponse } from 'node:http'
import { NODE_OPTION_NAMES, type NodeHttpOptions, resolveHttpOptions } from './options.js'
import { RequestRecorder, type RouteOf } from './request-timer.js'

export type {
  Authorization,
  DashboardHandler,
  DashboardHistory,
  DashboardOptions,
  DashboardTracker,
  OperationsView,
  OperationView,
} from './dashboard.js'
export { createDashboard, DEFAULT_DASHBOARD_PREFIX } from './dashboard.js'
export type { HttpOptions, HttpRequest, HttpResponse, NodeHttpOptions } from './options.js'
export type {
  PrometheusFamily,
  PrometheusSource,
  PrometheusType,
  SampleSink,
} from './prometheus.js'
export {
  formatPrometheus,
  PROMETHEUS_CONTENT_TYPE,
  PROMETHEUS_FAMILIES,
  prometheusText,
} from './prometheus.js'
export type { RequestRecord, RequestSink } from './request-record.js'
export { UNMATCHED_ROUTE } from './request-record.js'

/** A `node:http` request listener, as `http.createServer` takes it. */
export type RequestListener<
  Request extends IncomingMessage = IncomingMessage,
  Response extends ServerResponse = ServerResponse,
> = (req: Request, res: Response) => unknown

/**
 * Wraps a `node:http` request listener so that every request is recorded: its route as a
 * tracker operation (`GET /users/:id`), and a `RequestRecord` into `history` if given. The
 * listener is called exactly as before, with the same arguments, `this` and return value; a
 * throw passes through unchanged and counts the request as an error (a returned promise is left
 * alone: its rejection counts only through the status your code answers with).
 * @throws InvalidOptionError for an unknown option or a value of the wrong type.
 * @example
 * http.createServer(perfwatchHandler((req, res) => res.end('ok'), {
 *   route: (req) => router.match(req)?.template,
 * }))
 */
export function perfwatchHandler<Request extends IncomingMessage, Response extends ServerResponse>(
  listener: RequestListener<Request, Response>,
  options?: NodeHttpOptions,
): RequestListener<Request, Response> {
  if (typeof listener !== 'function') {
    throw new TypeError(
      `perfwatchHandler needs a request listener function, got ${typeof listener}`,
    )
  }
  const resolved = resolveHttpOptions(options, NODE_OPTION_NAMES)
  const route = resolved.route
  const routeOf: RouteOf =
    route === undefined ? createDefaultRoute() : (req, res) => route(req, res) || undefined
  const recorder = new RequestRecorder(resolved, routeOf)
  return function perfwatchListener(this: unknown, req: Request, res: Response) {
    try {
      recorder.watch(req, res)
    } catch (error) {
      recorder.fail(error)
    }
    let result: unknown
    try {
      result = listener.call(this, req, res)
    } catch (error) {
      recorder.markThrown(res)
      throw error
    }
    // A returned promise is not observed: a handler attached to it would mark its rejection as
    // handled, and Node would no longer report it (or exit on it) as it does without perfwatch.
    return result
  }
}

/** How many distinct templates the default route rule makes before the rest share `(unmatched)`. */
const MAX_DEFAULT_ROUTES = 1000

// A segment that is an id: digits; a UUID; 16 or more hexadecimal characters (object ids,
// hashes); or 20 or more characters of letters, digits, `-` and `_` with at least one digit
// (tokens, nano ids).
const ID_SEGMENT =
  /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|(?=[\w-]*\d)[\w-]{20,})$/i

/**
 * The default route of `perfwatchHandler`: the path without its query string, with each id-like
 * segment replaced by `:id` (`/users/42/orders/7` → `/users/:id/orders/:id`); a 404 response is
 * `(unmatched)` (scanners and typos share one bucket), and so is every new path after 1,000
 * distinct ones per handler (a slug per article would otherwise make one operation each).
 */
function createDefaultRoute(): RouteOf {
  const seenTemplates = new Set<string>()
  return (req, res) => {
    if (res.statusCode === 404) return undefined
    const url = req.url ?? '/'
    const queryAt = url.indexOf('?')
    const path = queryAt < 0 ? url : url.slice(0, queryAt)
    const segments = path.split('/')
    for (let i = 0; i < segments.length; i++) {
      if (ID_SEGMENT.test(segments[i] ?? '')) segments[i] = ':id'
    }
    const template = segments.join('/')
    if (!seenTemplates.has(template)) {
      if (seenTemplates.size >= MAX_DEFAULT_ROUTES) return undefined
      seenTemplates.add(template)
    }
    return template
  }
}
