import type { ServerResponse } from 'node:http'
import type { HttpOptions } from '../http/options.js'
import { FRAMEWORK_OPTION_NAMES, resolveHttpOptions } from '../http/options.js'
import { RequestRecorder } from '../http/request-timer.js'

export type { HttpOptions, RequestRecord, RequestSink } from '../http/node.js'
export { UNMATCHED_ROUTE } from '../http/node.js'

// Fastify's objects as this plugin reads them, declared here so that fastify is no dependency.
export interface FastifyRequestLike {
  raw: import('node:http').IncomingMessage
  method: string
  /** True when no route matched. */
  is404: boolean
  /** The matched route's options; `url` is its template, such as `/users/:id`. */
  routeOptions: { url?: string }
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

interface FastifyInstanceLike {
  addHook(
    name: 'onRequest',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void,
  ): unknown
  addHook(
    name: 'onResponse',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, done: Done) => void,
  ): unknown
  addHook(
    name: 'onError',
    hook: (request: FastifyRequestLike, reply: FastifyReplyLike, error: Error, done: Done) => void,
  ): unknown
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

const REPLY = Symbol('perfwatch.fastifyReply')
type WatchedRaw = ServerResponse & { [REPLY]?: FastifyReplyLike }

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
  const errored = new WeakSet<FastifyRequestLike>()
  const record = (reply: FastifyReplyLike, isAborted: boolean) => {
    try {
      const request = reply.request
      const template = request.is404 ? undefined : request.routeOptions.url
      recorder.end(
        request,
        reply,
        template,
        reply.elapsedTime,
        recorder.now(),
        isAborted,
        errored.has(request),
      )
    } catch (error) {
      recorder.fail(error)
    }
  }
  // Called by the raw response with itself as `this`: one function for every request.
  const onRawClose = function onRawClose(this: WatchedRaw) {
    const reply = this[REPLY]
    if (reply !== undefined && !this.writableFinished) record(reply, true)
  }
  // Only to see aborted requests: `onResponse` runs on `finish`, which they never reach.
  fastify.addHook('onRequest', (_request, reply, next) => {
    try {
      const raw = reply.raw as WatchedRaw
      raw[REPLY] = reply
      raw.on('close', onRawClose)
    } catch (error) {
      recorder.fail(error)
    }
    next()
  })
  fastify.addHook('onError', (request, _reply, _error, next) => {
    errored.add(request)
    next()
  })
  fastify.addHook('onResponse', (_request, reply, next) => {
    record(reply, false)
    next()
  })
  done()
}

/**
 * A Fastify 5 plugin that records every request under its route template
 * (`request.routeOptions.url`), `(unmatched)` for 404s, with the duration Fastify itself
 * measures (`reply.elapsedTime`). Marked like fastify-plugin does, so its hooks see every route:
 * `fastify.register(perfwatchFastify, { tracker })`.
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
