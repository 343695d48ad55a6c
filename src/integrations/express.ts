import type { IncomingMessage } from 'node:http'
import { createDashboard, type DashboardOptions } from '../http/dashboard.js'
import type { HttpOptions, ResponseLike } from '../http/options.js'
import { FRAMEWORK_OPTION_NAMES, resolveHttpOptions } from '../http/options.js'
import { RequestRecorder } from '../http/request-timer.js'

export type {
  Authorization,
  DashboardHistory,
  DashboardOptions,
  HttpOptions,
  RequestRecord,
  RequestSink,
} from '../http/node.js'
export { UNMATCHED_ROUTE } from '../http/node.js'

// Express's request as this adapter reads it, declared here so that express is no dependency.
interface ExpressRequest {
  /** The path the current router is mounted at (`''` at the app), set by Express 4 and 5. */
  baseUrl?: string
  /** The matched route, set by Express once routing found one. */
  route?: { path?: unknown }
}

/** Express's `(req, res, next)` middleware, with the types kept loose so that Express 4 and 5 both accept it. */
// biome-ignore lint/suspicious/noExplicitAny: Express's own request and response types
export type ExpressMiddleware = (req: any, res: any, next: (error?: unknown) => void) => void

/**
 * Express 4 and 5 middleware that records every request under its route template
 * (`req.baseUrl + req.route.path`, read when the response finishes: nested routers included),
 * `(unmatched)` when no route matched. Put it first: `app.use(perfwatchExpress({ tracker }))`.
 * A handler's thrown error reaches the response as Express's 500 and counts as an error.
 * @throws InvalidOptionError for an unknown option or a value of the wrong type.
 */
export function perfwatchExpress(options?: HttpOptions): ExpressMiddleware {
  const recorder = new RequestRecorder(
    resolveHttpOptions(options, FRAMEWORK_OPTION_NAMES),
    routeTemplate,
    statusCodeOf,
  )
  return function perfwatch(req, res, next) {
    try {
      recorder.watch(req, res)
    } catch (error) {
      recorder.fail(error)
    }
    next()
  }
}

/**
 * The dashboard (docs/http.md#dashboard) as Express 4 and 5 middleware: answers the requests
 * under `prefix` (default `/perfwatch`, below where it is mounted) and passes every other one on
 * with `next()`. Put it before `perfwatchExpress`, so the page's own requests are not recorded:
 * `app.use(perfwatchDashboard({ tracker, history }))`.
 * @throws InvalidOptionError for an unknown option or a value of the wrong type.
 */
export function perfwatchDashboard(options?: DashboardOptions): ExpressMiddleware {
  const dashboard = createDashboard(options)
  return function perfwatchDashboard(req, res, next) {
    if (!dashboard(req, res)) next()
  }
}

// Express's request and response are read with Reflect.get: no two requests' objects share a
// map (response-watch.ts), so a plain read misses V8's inline caches and costs 0.25 to 0.3 µs in
// a running server; Reflect.get looks the property up without them, 0.13 µs (25 ns more than a
// plain read on Node's own objects, so only this adapter does it).
const read = Reflect.get as <T>(object: object, key: string) => T

function routeTemplate(req: IncomingMessage): string | undefined {
  const route = read<ExpressRequest['route']>(req, 'route')
  const path = route?.path
  // A route of a regular expression or an array of paths has no one template string.
  if (typeof path !== 'string') return route === undefined ? undefined : String(path)
  // The route's own string when mounted at the app: a string made per request would be hashed
  // afresh by each map it is looked up in.
  const base = read<string | undefined>(req, 'baseUrl')
  return base === undefined || base === '' ? path : base + path
}

function statusCodeOf(res: ResponseLike): number {
  return read<number>(res, 'statusCode')
}
