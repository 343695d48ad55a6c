import type { IncomingMessage, ServerResponse } from 'node:http'
import { getPerformanceTracker, type PerformanceTracker, type RecordOptions } from '../index.js'
import { createDefaultLogger, SafeLogger } from '../log.js'
import type {
  HttpRequest,
  HttpResponse,
  RequestLike,
  ResolvedHttpOptions,
  ResponseLike,
} from './options.js'
import { type RequestRecord, UNMATCHED_ROUTE } from './request-record.js'
import { type Finisher, subscribeToServerChannels, watchResponse } from './response-watch.js'

// The options of a failed request: a constant, so a request allocates none. A successful one
// passes no options, which takes the tracker's fast path (`record` checks options it is given).
const FAILED: RecordOptions = Object.freeze({ success: false })

/** A request's route name (`GET /users/:id`) and its tracker operation (with the prefix). */
interface RouteNames {
  readonly route: string
  /** undefined: the prefix and the route, joined per request (`(unmatched)` only). */
  readonly operation: string | undefined
}
const UNMATCHED: RouteNames = { route: UNMATCHED_ROUTE, operation: undefined }

/**
 * Template and method pairs whose names a recorder keeps; past them, names are joined per
 * request. The node:http adapter's default route already stops at 1,000 templates.
 */
const MAX_CACHED_NAMES = 2000

/** The route template of a finished request (without the method), undefined for `(unmatched)`. */
export type RouteOf = (req: HttpRequest, res: HttpResponse) => string | undefined

/**
 * The shared core of every adapter: decides cache hit, error and route name, records into the
 * tracker and the history, and never lets a failure of its own reach the request: each is
 * counted and logged at `error`, at most once a minute (SafeLogger).
 */
export class RequestRecorder implements Finisher<IncomingMessage> {
  private readonly options: ResolvedHttpOptions
  private trackerInUse: PerformanceTracker | undefined
  private safeLogger: SafeLogger | undefined

  private readonly routeOf: RouteOf
  // The node:http responses whose listener threw. A set, not a flag on the response: asking a
  // set about an object that was never put in one reads nothing of the object.
  private readonly thrown = new WeakSet<ServerResponse>()
  // Route and operation names by template, then method (namesOf).
  private readonly names = new Map<string, Map<string, RouteNames>>()
  private cachedNames = 0

  /** `routeOf` gives the node:http and Express adapters' route templates (unused by Fastify). */
  constructor(options: ResolvedHttpOptions, routeOf: RouteOf = () => undefined) {
    this.options = options
    this.trackerInUse = options.tracker
    this.routeOf = routeOf
    subscribeToServerChannels()
  }

  /** The clock's reading, NaN (reported) when it throws. */
  now(): number {
    try {
      return this.options.clock()
    } catch (error) {
      this.fail(error)
      return Number.NaN
    }
  }

  /** Counts and logs (rate-limited) a failure of perfwatch itself; never throws. */
  fail(error: unknown): void {
    try {
      if (this.safeLogger === undefined) {
        this.safeLogger = new SafeLogger(this.options.logger ?? createDefaultLogger())
      }
      this.safeLogger.reportInternalError(error)
    } catch {
      // Even the default logger could not be built: nothing is left to tell.
    }
  }

  /**
   * Records one finished request. `template` is the route template without the method
   * (undefined: `(unmatched)`); `durationMs` NaN (a failed clock) records nothing.
   */
  end(
    req: RequestLike,
    res: ResponseLike,
    template: string | undefined,
    durationMs: number,
    endedAtMs: number,
    isAborted: boolean,
    isThrown: boolean,
  ): void {
    const method = req.method ?? 'GET'
    const statusCode = res.statusCode
    const names = template === undefined ? UNMATCHED : this.namesOf(method, template)
    const route = names.route
    const isError = isThrown || statusCode >= 500
    // Only the history's record reads the cache hit: without a history, neither is made.
    const history = this.options.history
    let isCacheHit = false
    if (history !== undefined) {
      try {
        isCacheHit =
          this.options.isCacheHit === undefined
            ? hasCacheHeader(res)
            : this.options.isCacheHit(req, res) === true
      } catch (error) {
        this.fail(error)
      }
    }
    if (!(durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY)) {
      this.fail(new RangeError(`perfwatch could not time ${route}: duration ${durationMs} ms`))
      return
    }
    try {
      this.trackerInUse ??= getPerformanceTracker()
      const name = names.operation ?? this.options.operationPrefix + route
      if (isError || isAborted) this.trackerInUse.record(name, durationMs, FAILED)
      else this.trackerInUse.record(name, durationMs)
    } catch (error) {
      this.fail(error)
    }
    if (history === undefined) return
    const record: RequestRecord = {
      route,
      method,
      statusCode,
      durationMs,
      isCacheHit,
      isError,
      isAborted,
      endedAtMs,
    }
    // A throwing sink reaches the adapter's own guard (every caller of `end` has one).
    history.recordRequest(record)
  }

  /**
   * The route and operation names of a template and method: made once per pair (up to
   * MAX_CACHED_NAMES), so that every request of a route carries the same two strings, whose
   * hashes the tracker's and the history's maps then compute once, not per request.
   */
  private namesOf(method: string, template: string): RouteNames {
    const byMethod = this.names.get(template)
    const cached = byMethod?.get(method)
    if (cached !== undefined) return cached
    const route = `${method} ${template}`
    const prefix = this.options.operationPrefix
    const names: RouteNames = { route, operation: prefix === '' ? route : prefix + route }
    if (this.cachedNames < MAX_CACHED_NAMES) {
      this.cachedNames++
      if (byMethod === undefined) this.names.set(template, new Map([[method, names]]))
      else byMethod.set(method, names)
    }
    return names
  }

  /**
   * Starts watching a node:http or Express response: one clock read now, one when it finishes,
   * or when its connection closes first; each request is recorded once (response-watch.ts).
   */
  watch(req: IncomingMessage, res: ServerResponse): void {
    watchResponse(req, res, this.now(), req, this)
  }

  /** Ends a request `watch` started: the Finisher of the node:http and Express adapters. */
  finish(res: ServerResponse, startMs: number, req: IncomingMessage, isAborted: boolean): void {
    try {
      const endMs = this.now()
      let template: string | undefined
      try {
        template = this.routeOf(req, res)
      } catch (error) {
        this.fail(error)
      }
      this.end(req, res, template, endMs - startMs, endMs, isAborted, this.thrown.has(res))
    } catch (error) {
      this.fail(error)
    }
  }

  /** Marks a watched response's request as failed by a thrown error (node:http adapter). */
  markThrown(res: ServerResponse): void {
    this.thrown.add(res)
  }
}

const HIT = /^hit$/i

/** The default cache-hit rule: the response header `x-cache` is `HIT`, in any case. */
export function hasCacheHeader(res: ResponseLike): boolean {
  const value = res.getHeader('x-cache')
  return typeof value === 'string' && HIT.test(value)
}
