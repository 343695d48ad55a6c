import type { IncomingMessage } from 'node:http'
import { createDashboard, type DashboardOptions } from '../http/dashboard.js'
import type { HttpOptions } from '../http/options.js'
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

function routeTemplate(raw: IncomingMessage): string | undefined {
  const req = raw as IncomingMessage & ExpressRequest
  const path = req.route?.path
  // A route of a regular expression or an array of paths has no one template string.
  if (typeof path !== 'string') return req.route === undefined ? undefined : String(path)
  // The route's own string when mounted at the app: a string made per request would be hashed
  // afresh by each map it is looked up in.
  const base = req.baseUrl
  return base === undefined || base === '' ? path : base + path
}
