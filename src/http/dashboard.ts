import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { RateLimiter } from '../core/rate-limiter.js'
import {
  API_ERROR_CODES,
  getPerformanceTracker,
  InvalidOptionError,
  type Logger,
  type PerformanceTracker,
} from '../index.js'
import { createDefaultLogger, SafeLogger } from '../log.js'
import { isLogger, unknownOption } from '../options.js'
import {
  type ApiError,
  clientError,
  type DashboardHistory,
  type DashboardTracker,
  ENDPOINTS,
  failure,
  isCrossOrigin,
  operationsView,
  parseParams,
  pathUnder,
  refusalOf,
} from './dashboard-api.js'
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheus.js'

export type {
  ApiParams,
  DashboardHistory,
  DashboardTracker,
  OperationsView,
  OperationView,
} from './dashboard-api.js'

/**
 * What `authorize` answers: `true` lets the request in; `403` refuses it as forbidden; `false`,
 * `401` (or anything else) as unauthorized.
 */
export type Authorization = boolean | 401 | 403

/** Options of `createDashboard` (and of the Express and Fastify dashboards). */
export interface DashboardOptions {
  /** Whose live operations `api/operations` shows. @default getPerformanceTracker(), looked up on the first request */
  tracker?: PerformanceTracker
  /** The history store (`perfwatch/history`) the page and the history endpoints read. @default none: only `api/operations` answers, the others give 404 `PERFWATCH_NO_HISTORY` */
  history?: DashboardHistory
  /**
   * Called before every request under the prefix (page, assets and API); may answer a promise.
   * It may set headers on `res` (`WWW-Authenticate`), or answer the request itself, after which
   * the dashboard sends nothing. A throw or rejection is a 500, logged. @default every request is let in
   */
  authorize?: (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Authorization | PromiseLike<Authorization>
  /** Whether `POST api/rotate` may delete history (never a `GET`). @default false */
  allowRotate?: boolean
  /** Where the dashboard lives: the page at `prefix + '/'`, the API under `prefix + '/api/'`. @default '/perfwatch' */
  prefix?: string
  /** Where the dashboard's own failures go (rate-limited). @default a pino logger named perfwatch */
  logger?: Logger
}

/**
 * The dashboard as a `node:http` handler: answers a request under its prefix and returns `true`
 * (the answer may come later, after `authorize`), or returns `false` at once, having touched
 * nothing, for a request outside it, which is yours to answer.
 */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse) => boolean

/** Where the dashboard is served without a `prefix` option. */
export const DEFAULT_DASHBOARD_PREFIX = '/perfwatch'

const OPTION_NAMES = ['tracker', 'history', 'authorize', 'allowRotate', 'prefix', 'logger']
const HISTORY_METHODS: ReadonlyArray<keyof DashboardHistory> = [
  'overview',
  'slowestRoutes',
  'trend',
  'cacheEffectiveness',
  'healthScore',
  'storageInfo',
  'rotate',
]

/**
 * The dashboard of a web service: a page (health grade, traffic, the hourly trend, the slowest
 * routes, cache use, storage and the tracker's live operations) and the JSON API it reads
 * (docs/http.md#dashboard). Mount it before your own handler; it answers under `prefix` only.
 * @throws InvalidOptionError for an unknown option or a value of the wrong type.
 * @example
 * const dashboard = createDashboard({ tracker, history })
 * http.createServer((req, res) => dashboard(req, res) || app(req, res))
 */
export function createDashboard(options?: DashboardOptions): DashboardHandler {
  const dashboard = new Dashboard(resolveDashboardOptions(options))
  return function perfwatchDashboard(req, res) {
    return dashboard.handle(req, res)
  }
}

interface ResolvedDashboardOptions {
  tracker: DashboardTracker | undefined
  history: DashboardHistory | undefined
  authorize: DashboardOptions['authorize']
  allowRotate: boolean
  prefix: string
  logger: Logger | undefined
}

/**
 * Checks the options once, before any request; `prefix` loses its trailing slashes (`'/'` is the
 * root, `''`).
 * @throws InvalidOptionError
 */
export function resolveDashboardOptions(options: unknown): ResolvedDashboardOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object', options)
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) throw unknownOption(key, OPTION_NAMES)
  }
  const o = options as DashboardOptions
  if (o.tracker !== undefined && typeof o.tracker?.getSystemSummary !== 'function') {
    throw new InvalidOptionError('tracker', 'a PerformanceTracker', o.tracker)
  }
  const history = o.history as Partial<Record<string, unknown>> | undefined
  if (history !== undefined && !HISTORY_METHODS.every((m) => typeof history?.[m] === 'function')) {
    throw new InvalidOptionError(
      'history',
      `a HistoryStore (an object with ${HISTORY_METHODS.join(', ')} methods)`,
      o.history,
    )
  }
  if (o.authorize !== undefined && typeof o.authorize !== 'function') {
    throw new InvalidOptionError('authorize', 'a function', o.authorize)
  }
  if (o.allowRotate !== undefined && typeof o.allowRotate !== 'boolean') {
    throw new InvalidOptionError('allowRotate', 'a boolean', o.allowRotate)
  }
  const prefix = o.prefix ?? DEFAULT_DASHBOARD_PREFIX
  if (typeof prefix !== 'string' || !/^(?:\/[^?#]*)?$/.test(prefix)) {
    throw new InvalidOptionError('prefix', "a path such as '/perfwatch' (no query or #)", prefix)
  }
  if (o.logger !== undefined && !isLogger(o.logger)) {
    throw new InvalidOptionError('logger', 'a logger with info, warn and error methods', o.logger)
  }
  return {
    tracker: o.tracker,
    history: o.history,
    authorize: o.authorize,
    allowRotate: o.allowRotate ?? false,
    prefix: prefix.replace(/\/+$/, ''),
    logger: o.logger,
  }
}

/**
 * Sent with every answer: no script or style but the dashboard's own files (no inline ones, so
 * an injected `<script>` in a route name could not run even if it reached the markup), no
 * framing, no sniffing of types.
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

const JSON_TYPE = 'application/json; charset=utf-8'
// The dashboard's own failures: one line a minute, with a count of the ones held back.
const FAILURE_LOG_INTERVAL_MS = 60_000

/** The dashboard behind one `createDashboard` handler. */
class Dashboard {
  private readonly options: ResolvedDashboardOptions
  private readonly assets = loadAssets()
  private tracker: DashboardTracker | undefined
  private logger: SafeLogger | undefined
  private readonly limiter = new RateLimiter(FAILURE_LOG_INTERVAL_MS)

  constructor(options: ResolvedDashboardOptions) {
    this.options = options
    this.tracker = options.tracker
  }

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url as string // always set on a server's request
    const pathname = url.split('?', 1)[0] as string
    const path = pathUnder(this.options.prefix, pathname)
    if (path === undefined) return false
    void this.serve(req, res, path, url.slice(pathname.length))
    return true
  }

  /** Answers one request under the prefix; never rejects: a failure is a 500 and a log line. */
  private async serve(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    search: string,
  ): Promise<void> {
    try {
      if (this.options.authorize !== undefined) {
        const refusal = refusalOf(await this.options.authorize(req, res))
        if (refusal !== undefined) return sendError(res, refusal)
      }
      this.answer(req, res, path, search)
    } catch (error) {
      this.fail(error, labelOf(path))
      try {
        if (res.headersSent) res.destroy()
        else sendError(res, failure(labelOf(path)))
      } catch {
        res.destroy()
      }
    }
  }

  private answer(req: IncomingMessage, res: ServerResponse, path: string, search: string) {
    if (path === '') return redirectToPage(res, this.options.prefix, search)
    if (path.startsWith('/api/')) return this.answerApi(req, res, path.slice(5), search)
    if (path === '/metrics') return this.answerMetrics(req, res)
    const asset = this.assets.get(path)
    if (asset === undefined) return sendError(res, notFound(labelOf(path)))
    if (!isRead(req.method)) return sendError(res, methodNotAllowed('GET, HEAD', labelOf(path)))
    sendAsset(req, res, asset)
  }

  private answerApi(req: IncomingMessage, res: ServerResponse, name: string, search: string) {
    const endpoint = Object.hasOwn(ENDPOINTS, name) ? ENDPOINTS[name] : undefined
    const what = `api/${name}`
    if (endpoint === undefined) return sendError(res, notFound(what))
    if (endpoint.method === 'POST' && !this.options.allowRotate) {
      // An empty `Allow`: no method is allowed on it.
      return sendError(res, {
        ...methodNotAllowed('', what),
        message: `${what} is switched off: createDashboard({ allowRotate: true }) allows POST ${what}`,
      })
    }
    const allowed = endpoint.method === 'GET' ? isRead(req.method) : req.method === 'POST'
    if (!allowed) {
      return sendError(
        res,
        methodNotAllowed(endpoint.method === 'GET' ? 'GET, HEAD' : 'POST', what),
      )
    }
    if (endpoint.method === 'POST' && isCrossOrigin(req.headers.origin, req.headers.host)) {
      return sendError(res, {
        status: 403,
        code: API_ERROR_CODES.forbidden,
        message: `${what} refuses requests from pages of another origin`,
      })
    }
    const history = this.options.history
    if (endpoint.answer !== undefined && history === undefined) {
      return sendError(res, {
        status: 404,
        code: API_ERROR_CODES.noHistory,
        message: `${what} needs a history store: createDashboard({ history })`,
      })
    }
    let body: unknown
    try {
      const params = parseParams(new URLSearchParams(search), endpoint.params, what)
      body =
        endpoint.answer === undefined
          ? operationsView(this.trackerInUse().getSystemSummary())
          : endpoint.answer(history as DashboardHistory, params)
    } catch (error) {
      const answer = clientError(error)
      if (answer !== undefined) return sendError(res, answer)
      this.fail(error, what)
      return sendError(res, failure(what))
    }
    sendJson(res, 200, body)
  }

  /** `GET metrics`: the tracker in the Prometheus text format (docs/prometheus.md). */
  private answerMetrics(req: IncomingMessage, res: ServerResponse): void {
    if (!isRead(req.method)) {
      sendError(res, methodNotAllowed('GET, HEAD', 'metrics'))
      return
    }
    sendText(res, 200, PROMETHEUS_CONTENT_TYPE, prometheusText(this.trackerInUse()))
  }

  private trackerInUse(): DashboardTracker {
    this.tracker ??= getPerformanceTracker()
    return this.tracker
  }

  /** Logs a failure of the dashboard at `error`, at most once a minute; never throws. */
  private fail(error: unknown, what: string): void {
    try {
      this.logger ??= new SafeLogger(this.options.logger ?? createDefaultLogger())
      const held = this.limiter.take(Date.now())
      if (held < 0) return
      this.logger.error(
        { code: API_ERROR_CODES.internal, err: error, request: what, suppressed: held },
        'perfwatch dashboard could not answer a request; it answered 500 and the server goes on',
      )
    } catch {
      // Not even the default logger could be built: nothing is left to tell.
    }
  }
}

function isRead(method: string | undefined): boolean {
  return method === 'GET' || method === 'HEAD'
}

/** How messages name a path under the prefix: `the page` (with or without its slash), `api/overview`. */
function labelOf(path: string): string {
  return path.length <= 1 ? 'the page' : path.slice(1)
}

function notFound(what: string): ApiError {
  return {
    status: 404,
    code: API_ERROR_CODES.notFound,
    message: `The dashboard has no ${what}: its page is at the prefix, its API under api/ (docs/http.md#json-api)`,
  }
}

function methodNotAllowed(allow: string, what: string): ApiError & { allow: string } {
  return {
    status: 405,
    code: API_ERROR_CODES.methodNotAllowed,
    message: `${what} takes ${allow}`,
    allow,
  }
}

function sendError(res: ServerResponse, error: ApiError & { allow?: string }): void {
  // `authorize` may have answered the request itself.
  if (res.headersSent) return
  const headers: Record<string, string> = error.allow === undefined ? {} : { allow: error.allow }
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers)
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, JSON_TYPE, JSON.stringify(body), headers)
}

/** An answer computed per request (never cached); Node sends no body for `HEAD`. */
function sendText(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'content-type': type,
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  })
  res.end(text)
}

/**
 * The prefix without its slash (`/perfwatch`) to the page (`/perfwatch/`), whose relative links
 * need the slash. The location is relative too (`perfwatch/`), so it is right wherever a
 * framework mounted the handler.
 */
function redirectToPage(res: ServerResponse, prefix: string, search: string): void {
  res.writeHead(308, {
    ...SECURITY_HEADERS,
    location: `${prefix.slice(prefix.lastIndexOf('/') + 1)}/${search}`,
    'content-length': 0,
  })
  res.end()
}

/** One file of the page. */
interface Asset {
  body: Buffer
  type: string
  etag: string
}

/** The page's files, by their path under the prefix, and where they are (next to this module). */
const ASSET_FILES: ReadonlyArray<readonly [path: string, file: string, type: string]> = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/dashboard.js', 'dashboard.js', 'text/javascript; charset=utf-8'],
  ['/dashboard.css', 'dashboard.css', 'text/css; charset=utf-8'],
  ['/vendor/uPlot.iife.min.js', 'vendor/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  ['/vendor/uPlot.min.css', 'vendor/uPlot.min.css', 'text/css; charset=utf-8'],
]

/**
 * The page's files (about 75 KB), read when a dashboard is created: a broken installation fails
 * there, not on a request.
 */
function loadAssets(): Map<string, Asset> {
  const folder = new URL('./dashboard/', import.meta.url)
  const assets = new Map<string, Asset>()
  for (const [path, file, type] of ASSET_FILES) {
    const body = readFileSync(new URL(file, folder))
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    assets.set(path, { body, type, etag })
  }
  return assets
}

/** A page file; revalidated on every load (`no-cache` with its ETag), so an upgrade shows at once. */
function sendAsset(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  const headers = {
    ...SECURITY_HEADERS,
    'content-type': asset.type,
    'cache-control': 'no-cache',
    etag: asset.etag,
  }
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers)
    res.end()
    return
  }
  res.writeHead(200, { ...headers, 'content-length': asset.body.length })
  res.end(asset.body)
}
