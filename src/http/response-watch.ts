import { subscribe } from 'node:diagnostics_channel'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * What ends a watched request: called once per request, at its response's `finish`, or at the
 * close of its connection when the client went away first (`isAborted`). `method` is the
 * request's, read when it started (undefined for a response Node did not publish: read it from
 * the request). It must not throw.
 */
export interface Finisher<Context> {
  finish(
    res: ServerResponse,
    startMs: number,
    context: Context,
    isAborted: boolean,
    method: string | undefined,
  ): void
}

// The state of a request watched through Node's diagnostics channels. `http.server.request.start`
// is published for every request of every node:http server before any listener runs, while the
// request, the response and the connection are still the objects Node made: the Watch is made
// then, with the request's method, and a middleware that watches the request fills it in.
// Express then sets the prototype of the request and the response, after which no two requests'
// objects share a map (V8's hidden class), so every read or write of them misses V8's inline
// caches: 0.3 to 0.5 µs each here, against a few ns on Node's own objects (docs/http.md#cost).
// So the Watch is found without reading the response: as the request that started last (the
// middleware of Express and the hook of Fastify run in the same turn as the start), and, at the
// end, as the connection's current request; the response's own property, created at the start,
// is read only when neither is it (pipelined requests, a middleware after an await).
const WATCH = Symbol('perfwatch.watch')

class Watch {
  readonly res: ServerResponse
  readonly method: string | undefined
  /** null: no middleware watches the request (yet). */
  finisher: Finisher<unknown> | null = null
  startMs = Number.NaN
  context: unknown = null
  /** True until the request is recorded: once, at the finish or at the close. */
  isPending = true

  constructor(res: ServerResponse, method: string | undefined) {
    this.res = res
    this.method = method
  }
}

interface ChannelState {
  [WATCH]?: Watch
}
type Watched = ServerResponse & ChannelState

/** The Watch of the request that started last, until a middleware takes it or it ends. */
let lastStarted: Watch | null = null

// The Watch of the connection's latest request; undefined until its first, when perfwatch adds
// its `close` listener. `_httpMessage` is the response a node:http connection is writing (Node's
// own `close` handling of responses reads the same field).
const SOCKET_WATCH = Symbol('perfwatch.socketWatch')
type WatchedSocket = Socket & { [SOCKET_WATCH]?: Watch | null; _httpMessage?: Watched | null }

interface ServerMessage {
  request: { method?: string }
  response: Watched
  socket: WatchedSocket | null
}

let isSubscribed = false

/**
 * Subscribes, once per process, to Node's `http.server.request.start` and
 * `http.server.response.finish` channels. Before this, and for responses Node does not publish
 * (light-my-request's, as in `fastify.inject`; HTTP/2's), `watchResponse` adds listeners.
 */
export function subscribeToServerChannels(): void {
  if (isSubscribed) return
  isSubscribed = true
  subscribe('http.server.request.start', onRequestStart)
  subscribe('http.server.response.finish', onResponseFinish)
}

// Channel subscribers run inside Node's request handling: they must never throw (an error
// thrown by a subscriber reaches `uncaughtException`).
function onRequestStart(message: unknown): void {
  try {
    const { request, response, socket } = message as ServerMessage
    const watch = new Watch(response, request.method)
    response[WATCH] = watch
    lastStarted = watch
    if (socket == null) return
    // The connection's close ends a watched request the client left: one listener per
    // connection, added at its first request.
    if (socket[SOCKET_WATCH] === undefined) socket.on('close', onSocketClose)
    socket[SOCKET_WATCH] = watch
  } catch {
    // A response that takes no properties is watched with listeners.
  }
}

function onResponseFinish(message: unknown): void {
  try {
    const { response, socket } = message as ServerMessage
    end(socket, response, false)
  } catch {
    // `end` guards the finisher; reading the message cannot fail on Node's own objects.
  }
}

function onSocketClose(this: WatchedSocket): void {
  try {
    const res = this._httpMessage
    if (res != null) end(this, res, true)
  } catch {
    // As above.
  }
}

function end(socket: WatchedSocket | null, res: Watched, isAborted: boolean): void {
  let watch = socket?.[SOCKET_WATCH]
  if (watch == null || watch.res !== res) watch = res[WATCH]
  else (socket as WatchedSocket)[SOCKET_WATCH] = null // held no longer than its request
  if (lastStarted === watch) lastStarted = null
  if (watch === undefined || watch.finisher === null || !watch.isPending) return
  watch.isPending = false // recorded once
  watch.finisher.finish(res, watch.startMs, watch.context, isAborted, watch.method)
}

/**
 * Watches a request until its response finishes, or until its connection closes first, then
 * calls `finisher.finish` once. A response Node published (node:http, Express, Fastify over
 * node:http) is read once, its Watch filled in; any other response gets a `finish` and a `close`
 * listener sharing one closure.
 */
export function watchResponse<Context>(
  res: ServerResponse,
  startMs: number,
  context: Context,
  finisher: Finisher<Context>,
): void {
  let watch: Watch | null | undefined = lastStarted
  if (watch === null || watch.res !== res) watch = (res as Watched)[WATCH]
  else lastStarted = null
  if (watch !== undefined && watch.finisher === null) {
    watch.finisher = finisher as Finisher<unknown>
    watch.startMs = startMs
    watch.context = context
    return
  }
  let isPending = true
  res.on('finish', () => {
    if (isPending) {
      isPending = false
      finisher.finish(res, startMs, context, false, undefined)
    }
  })
  res.on('close', () => {
    if (isPending) {
      isPending = false
      finisher.finish(res, startMs, context, true, undefined)
    }
  })
}
