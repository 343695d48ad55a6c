import type { IncomingMessage, ServerResponse } from 'node:http'
import { getPerformanceTracker, type PerformanceTracker } from '../index.js'
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

/** Where the tracker records one operation (what `wrap` records through). */
type TimedTarget = NonNullable<ReturnType<PerformanceTracker['timedTarget']>>

/**
 * A request's route name (`GET /users/:id`), its tracker operation (with the prefix) and where
 * the tracker records that operation: resolved at the route's first request and kept, as `wrap`
 * keeps its target, so a request pays no name lookup or option check in the tracker.
 */
interface RouteNames {
  readonly route: string
  readonly operation: string
  /** undefined: not resolved yet; null: the tracker is disabled. */
  target: TimedTarget | null | undefined
}

/**
 * One route template of an adapter that knows its routes before their requests (Fastify's
 * `onRoute`): its names for the method it last saw, so its requests skip the names' maps.
 */
export class RouteTemplate {
  readonly template: string
  method = ''
  names: RouteNames | undefined = undefined

  constructor(template: string) {
    this.template = template
  }
}

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
  private readonly statusOf: (res: ResponseLike) => number
  // The node:http responses whose listener threw.
  private readonly thrown = new Marks<ServerResponse>()
  // Route and operation names by template, then method (namesOf).
  private readonly names = new Map<string, Map<string, RouteNames>>()
  private cachedNames = 0
  private readonly unmatched: RouteNames

  /**
   * `routeOf` gives the node:http and Express adapters' route templates (unused by Fastify);
   * `statusOf` reads a response's status code (Express's adapter reads it its own way).
   */
  constructor(
    options: ResolvedHttpOptions,
    routeOf: RouteOf = () => undefined,
    statusOf: (res: ResponseLike) => number = statusCodeOf,
  ) {
    this.options = options
    this.trackerInUse = options.tracker
    this.unmatched = {
      route: UNMATCHED_ROUTE,
      operation: options.operationPrefix + UNMATCHED_ROUTE,
      target: undefined,
    }
    this.routeOf = routeOf
    this.statusOf = statusOf
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
   * Records one finished request. `startMethod` is the request's method, when the watch read it
   * at the start (undefined: read here); `template` is the route template without the method, or the
   * adapter's RouteTemplate (undefined: `(unmatched)`); `durationMs` NaN (a failed clock) records
   * nothing.
   */
  end(
    req: RequestLike,
    res: ResponseLike,
    startMethod: string | undefined,
    template: RouteTemplate | string | undefined,
    durationMs: number,
    endedAtMs: number,
    isAborted: boolean,
    isThrown: boolean,
  ): void {
    const method = startMethod ?? req.method ?? 'GET'
    const statusCode = this.statusOf(res)
    const names =
      template === undefined
        ? this.unmatched
        : typeof template === 'string'
          ? this.namesOf(method, template)
          : template.method === method
            ? (template.names as RouteNames)
            : this.remember(template, method)
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
      const target = names.target === undefined ? this.targetOf(names) : names.target
      if (target !== null) target.record(durationMs, !(isError || isAborted))
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
   * hashes the history's maps then compute once, not per request, and the same target.
   */
  private namesOf(method: string, template: string): RouteNames {
    const byMethod = this.names.get(template)
    const cached = byMethod?.get(method)
    if (cached !== undefined) return cached
    const route = `${method} ${template}`
    const prefix = this.options.operationPrefix
    const names: RouteNames = {
      route,
      operation: prefix === '' ? route : prefix + route,
      target: undefined,
    }
    if (this.cachedNames < MAX_CACHED_NAMES) {
      this.cachedNames++
      if (byMethod === undefined) this.names.set(template, new Map([[method, names]]))
      else byMethod.set(method, names)
    }
    return names
  }

  /** The names of a RouteTemplate's requests with `method`, kept for its next request. */
  private remember(template: RouteTemplate, method: string): RouteNames {
    const names = this.namesOf(method, template.template)
    template.method = method
    template.names = names
    return names
  }

  /**
   * The tracker's target for the names' operation, kept on the names when they are cached (the
   * names past MAX_CACHED_NAMES are made per request, and so is their target then).
   * @throws what `timedTarget` throws for a name the tracker refuses (the caller reports it).
   */
  private targetOf(names: RouteNames): TimedTarget | null {
    this.trackerInUse ??= getPerformanceTracker()
    const target = this.trackerInUse.timedTarget(names.operation)
    names.target = target
    return target
  }

  /**
   * Starts watching a node:http or Express response: one clock read now, one when it finishes,
   * or when its connection closes first; each request is recorded once (response-watch.ts).
   */
  watch(req: IncomingMessage, res: ServerResponse): void {
    watchResponse(res, this.now(), req, this)
  }

  /** Ends a request `watch` started: the Finisher of the node:http and Express adapters. */
  finish(
    res: ServerResponse,
    startMs: number,
    req: IncomingMessage,
    isAborted: boolean,
    method: string | undefined,
  ): void {
    try {
      const endMs = this.now()
      let template: string | undefined
      try {
        template = this.routeOf(req, res)
      } catch (error) {
        this.fail(error)
      }
      const durationMs = endMs - startMs
      this.end(req, res, method, template, durationMs, endMs, isAborted, this.thrown.take(res))
    } catch (error) {
      this.fail(error)
    }
  }

  /** Marks a watched response's request as failed by a thrown error (node:http adapter). */
  markThrown(res: ServerResponse): void {
    this.thrown.mark(res)
  }
}

/**
 * Objects marked until their request ends, such as the requests that threw: a set, not a flag on
 * the object, which would be a write to it (see response-watch.ts for what that costs in
 * Express); counted, so that while none is marked a request asks nothing.
 */
export class Marks<T extends object> {
  private readonly marked = new WeakSet<T>()
  private count = 0

  mark(object: T): void {
    if (this.marked.has(object)) return
    this.marked.add(object)
    this.count++
  }

  /** Whether `object` was marked; unmarks it. */
  take(object: T): boolean {
    if (this.count === 0 || !this.marked.delete(object)) return false
    this.count--
    return true
  }
}

function statusCodeOf(res: ResponseLike): number {
  return res.statusCode
}

const HIT = /^hit$/i

/** The default cache-hit rule: the response header `x-cache` is `HIT`, in any case. */
export function hasCacheHeader(res: ResponseLike): boolean {
  const value = res.getHeader('x-cache')
  return typeof value === 'string' && HIT.test(value)
}
