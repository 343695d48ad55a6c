import type { IncomingMessage, ServerResponse } from 'node:http'
import { InvalidOptionError, type Logger, type PerformanceTracker } from '../index.js'
import { isLogger, unknownOption } from '../options.js'
import type { RequestSink } from './request-record.js'

/** The request and response as the options' functions receive them: Node's own objects. */
export type HttpRequest = IncomingMessage
export type HttpResponse = ServerResponse

/** What the recorder reads of a request and a response: Node's, Express's and Fastify's all have it. */
export interface RequestLike {
  method?: string
}
export interface ResponseLike {
  statusCode: number
  getHeader(name: string): unknown
}

/**
 * Options of every perfwatch HTTP adapter. `Req` and `Res` are what `isCacheHit` receives: Node's
 * `IncomingMessage` and `ServerResponse` (node:http and Express: Express's `req` and `res`),
 * Fastify's `request` and `reply` for the Fastify plugin.
 */
export interface HttpOptions<Req = HttpRequest, Res = HttpResponse> {
  /** Where each route is recorded as an operation. @default getPerformanceTracker(), looked up on the first request */
  tracker?: PerformanceTracker
  /** Receives every finished request (a history store, or your own sink). @default none */
  history?: RequestSink
  /** Whether a response is a cache hit; called only with a `history`. @default the response header `x-cache` equals `HIT`, ignoring case */
  isCacheHit?: (req: Req, res: Res) => boolean
  /** Put before every operation name, such as `'http '` for `http GET /users/:id`. @default '' */
  operationPrefix?: string
  /** Where perfwatch's own failures go (rate-limited). @default a pino logger named perfwatch */
  logger?: Logger
  /**
   * Milliseconds since the epoch, read once when a request reaches the adapter and once when it
   * ends. For tests. @default performance.timeOrigin + performance.now()
   */
  clock?: () => number
}

/** Options of `perfwatchHandler` (`perfwatch/http`): the common ones and `route`. */
export interface NodeHttpOptions extends HttpOptions {
  /**
   * The route template of a request, such as `/users/:id` (without the method), or undefined
   * for `(unmatched)`. Called when the response ends. @default the path with numeric, UUID and
   * long hexadecimal segments replaced by `:id`; 404s are `(unmatched)` (see docs/http.md)
   */
  route?: (req: HttpRequest, res: HttpResponse) => string | undefined
}

const COMMON_OPTIONS = [
  'tracker',
  'history',
  'isCacheHit',
  'operationPrefix',
  'logger',
  'clock',
] as const

/** The names `perfwatchHandler` accepts; the frameworks' adapters accept the common ones. */
export const NODE_OPTION_NAMES: readonly string[] = [...COMMON_OPTIONS, 'route']
export const FRAMEWORK_OPTION_NAMES: readonly string[] = COMMON_OPTIONS

/** The options after checking, each function resolved once. */
export interface ResolvedHttpOptions {
  tracker: PerformanceTracker | undefined
  history: RequestSink | undefined
  // biome-ignore lint/suspicious/noExplicitAny: each adapter passes its own request and response
  isCacheHit: ((req: any, res: any) => boolean) | undefined
  operationPrefix: string
  logger: Logger | undefined
  clock: () => number
  route: ((req: HttpRequest, res: HttpResponse) => string | undefined) | undefined
}

/**
 * The one validator of the adapters' options: throws before any request for an unknown option
 * (fastify's own `prefix`, `logLevel` and the like are ignored by the Fastify adapter before this) or
 * a value of the wrong type.
 * @throws InvalidOptionError
 */
export function resolveHttpOptions(
  options: unknown,
  names: readonly string[],
): ResolvedHttpOptions {
  if (options === undefined) options = {}
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object', options)
  }
  for (const key of Object.keys(options)) {
    if (!names.includes(key)) throw unknownOption(key, names)
  }
  const o = options as NodeHttpOptions
  if (o.tracker !== undefined && !isTracker(o.tracker)) {
    throw new InvalidOptionError('tracker', 'a PerformanceTracker', o.tracker)
  }
  if (o.history !== undefined && !isSink(o.history)) {
    throw new InvalidOptionError('history', 'an object with a recordRequest method', o.history)
  }
  checkFunction('isCacheHit', o.isCacheHit)
  checkFunction('clock', o.clock)
  checkFunction('route', o.route)
  if (o.operationPrefix !== undefined && typeof o.operationPrefix !== 'string') {
    throw new InvalidOptionError('operationPrefix', 'a string', o.operationPrefix)
  }
  if (o.logger !== undefined && !isLogger(o.logger)) {
    throw new InvalidOptionError('logger', 'a logger with info, warn and error methods', o.logger)
  }
  return {
    tracker: o.tracker,
    history: o.history,
    isCacheHit: o.isCacheHit,
    operationPrefix: o.operationPrefix ?? '',
    logger: o.logger,
    clock: o.clock ?? epochClock,
    route: o.route,
  }
}

// Read once: the getter cost about 40 ns a read here (a loop of each on Node 20: two thirds of
// `performance.now()` itself), and the origin never changes.
const TIME_ORIGIN_MS = performance.timeOrigin

/** Epoch ms with sub-ms resolution in one read (a double keeps ~0.25 µs at today's epoch). */
function epochClock(): number {
  return TIME_ORIGIN_MS + performance.now()
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidOptionError(name, 'a function', value)
  }
}

// The adapters record through the tracker's per-operation targets (`timedTarget`, what `wrap`
// uses): an object with only a `record` method is refused here, not failed at each request.
function isTracker(value: unknown): value is PerformanceTracker {
  const tracker = value as Partial<PerformanceTracker> | null
  return typeof tracker?.record === 'function' && typeof tracker.timedTarget === 'function'
}

function isSink(value: unknown): value is RequestSink {
  return typeof (value as Partial<RequestSink> | null)?.recordRequest === 'function'
}
