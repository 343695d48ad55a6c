import { subscribe } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * What ends a watched request: called once per request, at its response's `finish`, or at the
 * close of its connection when the client went away first (`isAborted`). It must not throw.
 */
export interface Finisher<Context> {
  finish(res: ServerResponse, startMs: number, context: Context, isAborted: boolean): void
}

// The state of a request watched through Node's diagnostics channels, kept on its response.
// `http.server.request.start` is published for every request of every node:http server before
// any listener runs, while the response still has Node's own prototype: the properties are
// created then (null and 0: not watched), so that the middleware only writes properties the
// response already has. Express gives each response its own prototype, after which adding a
// property to it took 1.6 to 5 µs here, and writing the three existing ones 60 to 200 ns.
const FINISHER = Symbol('perfwatch.finisher')
const START_MS = Symbol('perfwatch.startMs')
const CONTEXT = Symbol('perfwatch.context')

interface ChannelState {
  [FINISHER]?: Finisher<unknown> | null
  [START_MS]?: number
  [CONTEXT]?: unknown
}
type Watched = ServerResponse & ChannelState

const SOCKET_WATCHED = Symbol('perfwatch.socketWatched')
// `_httpMessage` is the response a node:http connection is writing (Node's own `close` handling
// of responses reads the same field).
type WatchedSocket = Socket & { [SOCKET_WATCHED]?: true; _httpMessage?: Watched | null }

interface ServerMessage {
  response: Watched
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
    const res = (message as ServerMessage).response
    res[FINISHER] = null
    res[START_MS] = 0
    res[CONTEXT] = null
  } catch {
    // A response that takes no properties is watched with listeners.
  }
}

function onResponseFinish(message: unknown): void {
  try {
    end((message as ServerMessage).response, false)
  } catch {
    // `end` guards the finisher; reading the message cannot fail on Node's own objects.
  }
}

function onSocketClose(this: WatchedSocket): void {
  try {
    const res = this._httpMessage
    if (res != null) end(res, true)
  } catch {
    // As above.
  }
}

function end(res: Watched, isAborted: boolean): void {
  const finisher = res[FINISHER]
  if (finisher == null) return
  res[FINISHER] = null // recorded once
  const context = res[CONTEXT]
  res[CONTEXT] = null
  finisher.finish(res, res[START_MS] as number, context, isAborted)
}

/**
 * Watches a request until its response finishes, or until its connection closes first, then
 * calls `finisher.finish` once. A response Node published (node:http, Express, Fastify over
 * node:http) gets three property writes and, once per connection, a `close` listener on the
 * socket; any other response gets a `finish` and a `close` listener sharing one closure.
 */
export function watchResponse<Context>(
  req: IncomingMessage,
  res: ServerResponse,
  startMs: number,
  context: Context,
  finisher: Finisher<Context>,
): void {
  const watched = res as Watched
  if (watched[FINISHER] === null) {
    watched[START_MS] = startMs
    watched[CONTEXT] = context
    watched[FINISHER] = finisher as Finisher<unknown>
    const socket = req.socket as WatchedSocket | null
    if (socket != null && socket[SOCKET_WATCHED] !== true) {
      socket[SOCKET_WATCHED] = true
      socket.on('close', onSocketClose)
    }
    return
  }
  let isPending = true
  res.on('finish', () => {
    if (isPending) {
      isPending = false
      finisher.finish(res, startMs, context, false)
    }
  })
  res.on('close', () => {
    if (isPending) {
      isPending = false
      finisher.finish(res, startMs, context, true)
    }
  })
}
