/**
 * The dashboard's JSON API, pure: which endpoints there are, what each takes and answers, and
 * how a parameter or an error becomes a response. `dashboard.ts` does the HTTP around it.
 */
import { API_ERROR_CODES, ERROR_CODES, InvalidArgumentError } from '../core/errors.js'
import type {
  CacheEffectiveness,
  HistoryHealth,
  HistoryOverview,
  HistoryWindow,
  RotateResult,
  RouteSummary,
  StorageInfo,
  TrendPoint,
} from '../core/history.js'
import type { OperationState, OperationStats, SystemSummary } from '../core/snapshot.js'
import { MAX_NAME_LENGTH } from '../core/validate.js'

/**
 * The history store's methods the dashboard calls, declared here so that http/ does not import
 * the store (a `HistoryStore` of `perfwatch/history` fits it; `test/types/` checks that).
 */
export interface DashboardHistory {
  overview(window?: HistoryWindow): HistoryOverview
  slowestRoutes(limit?: number, window?: HistoryWindow): RouteSummary[]
  trend(options?: { route?: string; days?: number }): TrendPoint[]
  cacheEffectiveness(window?: HistoryWindow): CacheEffectiveness
  healthScore(window?: HistoryWindow): HistoryHealth
  storageInfo(): StorageInfo
  rotate(days?: number): RotateResult
}

/** The tracker's method the dashboard calls (`api/operations`). */
export interface DashboardTracker {
  getSystemSummary(): SystemSummary
}

/**
 * The dashboard's part of a request path under `prefix` (`''` or a path such as `/perfwatch`, with
 * no trailing slash): `''` for the prefix itself, `'/…'` below it, undefined outside it
 * (`/perfwatchx` is outside `/perfwatch`).
 */
export function pathUnder(prefix: string, path: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined
  const rest = path.slice(prefix.length)
  return rest === '' || rest.startsWith('/') ? rest : undefined
}

/**
 * What `authorize` answered, as the dashboard acts on it: undefined for `true` (let in), a 403
 * for `403`, and a 401 for anything else (`false`, `401`, or a value it should not give): a
 * request is let in only on an explicit `true`.
 */
export function refusalOf(verdict: unknown): ApiError | undefined {
  if (verdict === true) return undefined
  if (verdict === 403) {
    return {
      status: 403,
      code: API_ERROR_CODES.forbidden,
      message: 'authorize refused this request',
    }
  }
  return {
    status: 401,
    code: API_ERROR_CODES.unauthorized,
    message: 'authorize did not let this request in: it needs credentials',
  }
}

/**
 * True when a browser sent the request from a page of another origin: its `Origin` header names
 * another host than `Host`. `POST api/rotate` refuses those (a form on another site cannot make
 * a logged-in browser delete the history); requests without `Origin` (curl, scripts) pass.
 */
export function isCrossOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return false
  try {
    return new URL(origin).host !== host
  } catch {
    return true // `null` (a sandboxed page, a file) or garbage
  }
}

/** The query parameters of the API, parsed. */
export interface ApiParams {
  days?: number
  limit?: number
  route?: string
}

type ParamName = keyof ApiParams

/** One endpoint under `api/`: its method, the parameters it takes, and how it answers. */
interface Endpoint {
  method: 'GET' | 'POST'
  params: readonly ParamName[]
  /** Undefined for the one endpoint that reads the tracker only. */
  answer?: (history: DashboardHistory, params: ApiParams) => unknown
}

/** The default of `api/slow-routes`' `limit`, as the store's `slowestRoutes`. */
export const DEFAULT_SLOW_ROUTES = 10

/**
 * Every endpoint, by its name under `api/` (docs/http.md#json-api). Without `days`, the store
 * gets `{ days: undefined }`: its default window, 7 days.
 */
export const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  overview: { method: 'GET', params: ['days'], answer: (h, p) => h.overview({ days: p.days }) },
  'slow-routes': {
    method: 'GET',
    params: ['days', 'limit'],
    answer: (h, p) => ({
      routes: h.slowestRoutes(p.limit ?? DEFAULT_SLOW_ROUTES, { days: p.days }),
    }),
  },
  'route-trend': {
    method: 'GET',
    params: ['days', 'route'],
    answer: (h, p) => ({ route: p.route ?? null, points: h.trend({ ...p }) }),
  },
  'cache-effectiveness': {
    method: 'GET',
    params: ['days'],
    answer: (h, p) => h.cacheEffectiveness({ days: p.days }),
  },
  'health-score': {
    method: 'GET',
    params: ['days'],
    answer: (h, p) => h.healthScore({ days: p.days }),
  },
  storage: { method: 'GET', params: [], answer: (h) => h.storageInfo() },
  operations: { method: 'GET', params: [] },
  rotate: { method: 'POST', params: ['days'], answer: (h, p) => h.rotate(p.days) },
}

/** Integers as a query string writes them: digits only (no sign, exponent, point or space). */
const DIGITS = /^\d+$/

/**
 * Reads the parameters an endpoint takes from a query string; the others are refused, so a
 * typo (`day=30`) is a 400, not a silent default.
 * @throws InvalidArgumentError for an unknown or repeated parameter, or a value out of its range:
 * `days` an integer from 1 to 365, `limit` an integer >= 0, `route` a non-empty string of at
 * most 1,024 characters.
 */
export function parseParams(
  query: URLSearchParams,
  allowed: readonly ParamName[],
  endpoint: string,
): ApiParams {
  const params: ApiParams = {}
  const seen = new Set<string>()
  for (const [name, value] of query) {
    if (!(allowed as readonly string[]).includes(name)) {
      const takes = allowed.length === 0 ? 'no parameters' : allowed.join(', ')
      throw new InvalidArgumentError(
        `Unknown parameter ${JSON.stringify(name)} of ${endpoint}: it takes ${takes}`,
      )
    }
    if (seen.has(name)) {
      throw new InvalidArgumentError(`Parameter ${JSON.stringify(name)} is given more than once`)
    }
    seen.add(name)
    if (name === 'days') params.days = parseInteger(name, value, 1, 365)
    else if (name === 'limit') params.limit = parseInteger(name, value, 0, Number.MAX_SAFE_INTEGER)
    else params.route = parseRoute(value)
  }
  return params
}

/** @throws InvalidArgumentError unless `value` is the decimal digits of an integer in [min, max]. */
export function parseInteger(name: string, value: string, min: number, max: number): number {
  const parsed = DIGITS.test(value) ? Number(value) : Number.NaN
  if (!(parsed >= min && parsed <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
    throw new InvalidArgumentError(name, `an integer ${range}`, value)
  }
  return parsed
}

function parseRoute(value: string): string {
  if (value === '' || value.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(
      'route',
      `a route of at most ${MAX_NAME_LENGTH} characters, such as "GET /users/:id"`,
      value,
    )
  }
  return value
}

/** An API error as the client gets it: the status and the `{ error: { code, message } }` body. */
export interface ApiError {
  status: number
  code: string
  message: string
}

/**
 * The answer to an error thrown while answering: a 400 with the error's own code and message for
 * a bad parameter (`PERFWATCH_INVALID_ARGUMENT`, `PERFWATCH_UNKNOWN_ROUTE`); undefined for any
 * other, which is the dashboard's failure (a 500, logged).
 */
export function clientError(error: unknown): ApiError | undefined {
  const code = (error as { code?: unknown } | null)?.code
  if (code !== ERROR_CODES.invalidArgument && code !== ERROR_CODES.unknownRoute) return undefined
  return { status: 400, code, message: (error as Error).message }
}

/** The 500 of an endpoint that failed; the message points to the log, never at internals. */
export function failure(what: string): ApiError {
  return {
    status: 500,
    code: API_ERROR_CODES.internal,
    message: `The dashboard could not answer ${what}: the server's log has the error`,
  }
}

/** One operation as `api/operations` lists it. Durations in ms. */
export interface OperationView {
  operation: string
  state: OperationState
  /** ISO-8601, set while degraded. */
  degradedSince: string | null
  sampleCount: number
  totalCount: number
  callsPerSecond: number | null
  errorRate: number | null
  /** Of the window's samples; null while it is empty. */
  recent: { meanMs: number; p50Ms: number; p95Ms: number; p99Ms: number } | null
  /** Null until a baseline is established or restored. */
  baseline: {
    meanMs: number
    p50Ms: number
    p95Ms: number
    p99Ms: number
    sampleCount: number
    establishedAt: string
  } | null
}

/** What `api/operations` answers: the tracker's live state. */
export interface OperationsView {
  totalSamples: number
  internalErrors: number
  /** Names of the operations in a sustained degradation now, sorted. */
  currentlyDegraded: string[]
  /** Every operation, by name. */
  operations: OperationView[]
}

/** `api/operations` from the tracker's summary: every operation, sorted by name. */
export function operationsView(summary: SystemSummary): OperationsView {
  return {
    totalSamples: summary.totalSamples,
    internalErrors: summary.internalErrors,
    currentlyDegraded: [...summary.currentlyDegraded].sort(),
    operations: Object.values(summary.operations).map(operationView).sort(byOperation),
  }
}

function byOperation(a: OperationView, b: OperationView): number {
  // Stryker disable next-line EqualityOperator: operation names are unique, never equal
  return a.operation < b.operation ? -1 : 1
}

function operationView(stats: OperationStats): OperationView {
  const baseline = stats.baseline
  return {
    operation: stats.operation,
    state: stats.state,
    degradedSince: stats.degradedSince,
    sampleCount: stats.sampleCount,
    totalCount: stats.totalCount,
    callsPerSecond: stats.callsPerSecond,
    errorRate: stats.errorRate,
    // The recent figures are null all together, while the window is empty.
    recent:
      stats.recentMean === null
        ? null
        : {
            meanMs: stats.recentMean,
            p50Ms: stats.recentP50 as number,
            p95Ms: stats.recentP95 as number,
            p99Ms: stats.recentP99 as number,
          },
    baseline:
      baseline === undefined
        ? null
        : {
            meanMs: baseline.mean,
            p50Ms: baseline.p50,
            p95Ms: baseline.p95,
            p99Ms: baseline.p99,
            sampleCount: baseline.sampleCount,
            establishedAt: baseline.establishedAt,
          },
  }
}
