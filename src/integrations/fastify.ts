import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  createDashboard,
  type DashboardHandler,
  type DashboardOptions,
  DEFAULT_DASHBOARD_PREFIX,
} from '../http/dashboard.js'
import type { HttpOptions } from '../http/options.js'
import { FRAMEWORK_OPTION_NAMES, resolveHttpOptions } from '../http/options.js'
import { Marks, RequestRecorder, RouteTemplate } from '../http/request-timer.js'
import { type Finisher, watchResponse } from '../http/response-watch.js'

export type {
  Authorization,
  DashboardHistory,
  DashboardOptions,
  HttpOptions,
  RequestRecord,
  RequestSink,
} from '../http/node.js'
export { UNMATCHED_ROUTE } from '../http/node.js'

// Fastify's objects as this plugin reads them, declared here so that fastify is no dependency.
export interface FastifyRequestLike {
  raw: IncomingMessage
  method: string
  /** True when no route matched. */
  is404: boolean
  /** The matched route's options; `url` is its template, such as `/users/:id`. */
  routeOptions: { url?: string; config?: { perfwatchDashboard?: unknown } }
}

export interface FastifyReplyLike {
  raw: ServerResponse
  statusCode: number
  /** Headers set with `reply.header()` are here, not on `reply.raw` (fastify writes them at once). */
  getHeader(name: string): unknown
  request: FastifyRequestLike
  /** ms since fastify started the reply (its own clock read at the request's start). */
  elapsedTime: number
}

type Done = (error?: Error) => void
type OnRequestHook = (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void

/** What an `onRoute` hook receives and may change: the route's options as declared. */
interface FastifyRouteOptionsLike {
  /** The route's whole template, with the prefixes of the plugins it was declared in. */
  url: string
  config?: { perfwatchDashboard?: unknown }
  onRequest?: OnRequestHook | OnRequestHook[]
}

interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: OnRequestHook): unknown
  addHook(name: 'onRoute', hook: (routeOptions: FastifyRouteOptionsLike) => void): unknown
  addHook(
    name: 'onError',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, error: Error, done: Done) => void,
  ): unknown
  decorateRequest(name: symbol, value: null): unknown
}

/** The plugin's options; `isCacheHit` receives Fastify's `request` and `reply`. */
export type FastifyOptions = HttpOptions<FastifyRequestLike, FastifyReplyLike>

/** What `fastify.register` needs: the plugin function, marked to apply to the whole app. */
export interface PerfwatchFastifyPlugin {
  // biome-ignore lint/suspicious/noExplicitAny: Fastify's own instance type
  (fastify: any, options: FastifyOptions, done: Done): void
  [key: symbol]: unknown
}

// Options fastify.register itself reads; they are no options of ours.
const REGISTER_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers'])

// The route of a request, set by the hook perfwatch adds to each route (onRoute below): a
// property Fastify creates on every request (decorateRequest), so setting it changes no shape.
const ROUTE = Symbol('perfwatch.route')
// The route's requests are the dashboard's own (its page refreshes itself), not the service's.
const DASHBOARD = 'dashboard'
type RoutedRequest = FastifyRequestLike & { [ROUTE]?: RouteTemplate | typeof DASHBOARD | null }

/** The plugin itself; exported marked as `perfwatchFastify`. */
function plugin(fastify: FastifyInstanceLike, options: FastifyOptions, done: Done): void {
  let recorder: RequestRecorder
  try {
    recorder = new RequestRecorder(
      resolveHttpOptions(withoutRegisterOptions(options), FRAMEWORK_OPTION_NAMES),
    )
  } catch (error) {
    done(error as Error)
    return
  }
  // The requests an `onError` hook saw, until their end.
  const errored = new Marks<FastifyRequestLike>()
  // Records the request once, when the raw response finishes, or when its connection closes
  // first (response-watch.ts). An `onResponse` hook would do the former, but each hook costs a
  // hook run, and Fastify times every reply (two clock reads, a closure, two listeners added and
  // removed) as soon as any `onResponse` hook exists: dropping ours took the server's CPU per
  // request from 23.8 to 21.1 µs, against 20.5 µs without perfwatch
  // (docs/benchmarks.md#web-middleware). So the plugin reads its own clock in `onRequest` and at
  // the end.
  const finisher: Finisher<FastifyReplyLike> = {
    finish(_raw, startMs, reply, isAborted, method) {
      try {
        const endMs = recorder.now()
        const request = reply.request as RoutedRequest
        let template: RouteTemplate | string | undefined = request[ROUTE] ?? undefined
        if (template === DASHBOARD) return
        // A 404, or a route declared before this plugin (it has no hook of ours): Fastify's
        // `routeOptions` is a new object each time it is read, so only these requests read it.
        if (template === undefined && !request.is404) {
          const routeOptions = request.routeOptions
          if (routeOptions.config?.perfwatchDashboard === true) return
          template = routeOptions.url
        }
        const thrown = errored.take(request)
        const durationMs = endMs - startMs
        recorder.end(request, reply, method, template, durationMs, endMs, isAborted, thrown)
      } catch (error) {
        recorder.fail(error)
      }
    },
  }
  fastify.decorateRequest(ROUTE, null)
  fastify.addHook('onRequest', (_request, reply, next) => {
    try {
      watchResponse(reply.raw, recorder.now(), reply, finisher)
    } catch (error) {
      recorder.fail(error)
    }
    next()
  })
  // Every route declared from here on tells its requests its template, known once per route.
  fastify.addHook('onRoute', (routeOptions) => {
    const route =
      routeOptions.config?.perfwatchDashboard === true
        ? DASHBOARD
        : new RouteTemplate(routeOptions.url)
    const hook: OnRequestHook = (request, _reply, next) => {
      ;(request as RoutedRequest)[ROUTE] = route
      next()
    }
    const own = routeOptions.onRequest
    routeOptions.onRequest = own === undefined ? [hook] : [hook].concat(own)
  })
  fastify.addHook('onError', (request, _reply, _error, next) => {
    errored.mark(request)
    next()
  })
  done()
}

/**
 * A Fastify 5 plugin that records every request under its route template (the route's `url`,
 * with its prefixes), `(unmatched)` for 404s, timed from its `onRequest` hook to the
 * response's `finish`: register it first, before plugins with hooks of their own. Marked like
 * fastify-plugin does, so its hooks see every route: `fastify.register(perfwatchFastify, { tracker })`.
 * @throws InvalidOptionError (through `register`) for an unknown option or a wrong value.
 */
export const perfwatchFastify = Object.assign(plugin, {
  // What fastify-plugin sets: the hooks apply to the app that registers it, not to a child scope.
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'perfwatch',
  [Symbol.for('plugin-meta')]: { name: 'perfwatch', fastify: '5.x' },
}) as PerfwatchFastifyPlugin

function withoutRegisterOptions(options: unknown): unknown {
  if (typeof options !== 'object' || options === null) return options
  const own: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    if (!REGISTER_OPTIONS.has(key)) own[key] = value
  }
  return own
}

// What the dashboard plugin uses of Fastify: the instance's prefix, routes of every method, and
// the raw request and response of a reply it takes over.
interface FastifyDashboardInstance {
  /** The prefix of the routes registered here: `register`'s `prefix`, with its parents'. */
  prefix: string
  all(
    url: string,
    options: { config: { perfwatchDashboard: true } },
    handler: (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): void },
    ) => void,
  ): unknown
}

/** The dashboard plugin's options: `createDashboard`'s, and Fastify's own `register` options. */
export interface FastifyDashboardOptions extends DashboardOptions {
  logLevel?: string
  logSerializers?: unknown
}

/** The dashboard plugin, as `fastify.register` takes it. */
export type PerfwatchDashboardPlugin = (
  // biome-ignore lint/suspicious/noExplicitAny: Fastify's own instance type
  fastify: any,
  options: FastifyDashboardOptions,
  done: Done,
) => void

function dashboardPlugin(
  fastify: FastifyDashboardInstance,
  options: FastifyDashboardOptions,
  done: Done,
): void {
  // Fastify puts `register`'s prefix before the routes below itself; without one, they go
  // under the default prefix. The handler sees raw URLs, so it gets the whole prefix.
  const mount = options?.prefix === undefined ? DEFAULT_DASHBOARD_PREFIX : ''
  let dashboard: DashboardHandler
  try {
    const own = withoutRegisterOptions(options) as DashboardOptions
    dashboard = createDashboard({ ...own, prefix: fastify.prefix + mount })
  } catch (error) {
    done(error as Error)
    return
  }
  const answer = (
    request: { raw: IncomingMessage },
    reply: { raw: ServerResponse; hijack(): void },
  ) => {
    reply.hijack()
    dashboard(request.raw, reply.raw)
  }
  // With a prefix, Fastify serves `'/'` at both `/prefix` and `/prefix/`. The routes' config
  // tells perfwatchFastify not to record them.
  for (const url of mount === '' ? ['/', '/*'] : [mount, `${mount}/`, `${mount}/*`]) {
    fastify.all(url, { config: { perfwatchDashboard: true } }, answer)
  }
  done()
}

/**
 * The dashboard (docs/http.md#dashboard) as a Fastify 5 plugin: its page and API under
 * `register`'s `prefix` (default `/perfwatch`), every method routed to it so that it answers
 * 405s itself: `fastify.register(perfwatchDashboard, { tracker, history })`.
 * @throws InvalidOptionError (through `register`) for an unknown option or a wrong value.
 */
export const perfwatchDashboard = Object.assign(dashboardPlugin, {
  [Symbol.for('fastify.display-name')]: 'perfwatch-dashboard',
}) as PerfwatchDashboardPlugin
