/**
 * Outgoing HTTP requests timed through Node's `diagnostics_channel`, without touching the user's
 * code: `node:http` clients (`http.client.request.start` to `http.client.response.finish`) and
 * undici, which `fetch` uses (`undici:request:create` to `undici:request:trailers`). Per host:
 * durations, failures, and time per stage running when the request started.
 */
import diagnosticsChannel from 'node:diagnostics_channel'
import type { HostRequests } from '../report/profile-report.js'

/** Hosts kept apart; the rest are counted under `OTHER_HOSTS`. */
const MAX_HOSTS = 200
const OTHER_HOSTS = '(other hosts)'
/** Durations kept per host; later ones still count in the stage totals. */
const MAX_DURATIONS = 100_000

interface Started {
  host: string
  startMs: number
  stage: string | null
}

export class HttpTiming {
  readonly hosts: Record<string, HostRequests> = {}
  private readonly started = new WeakMap<object, Started>()
  private readonly now: () => number
  private readonly currentStage: () => string | null
  private readonly reportError: (error: unknown) => void
  private readonly subscriptions: Array<[string, (message: unknown) => void]>
  private isOn = false

  constructor(
    now: () => number,
    currentStage: () => string | null,
    reportError: (error: unknown) => void,
  ) {
    this.now = now
    this.currentStage = currentStage
    this.reportError = reportError
    const guarded = (handle: (message: { request: object }) => void) => (message: unknown) => {
      try {
        handle(message as { request: object })
      } catch (error) {
        this.reportError(error)
      }
    }
    const begin = guarded(({ request }) => this.begin(request, nodeHost(request)))
    const beginUndici = guarded(({ request }) => this.begin(request, undiciHost(request)))
    const finish = guarded(({ request }) => this.finish(request, false))
    const fail = guarded(({ request }) => this.finish(request, true))
    this.subscriptions = [
      ['http.client.request.start', begin],
      ['http.client.response.finish', finish],
      ['http.client.request.error', fail],
      ['undici:request:create', beginUndici],
      ['undici:request:trailers', finish],
      ['undici:request:error', fail],
    ]
  }

  start(): void {
    if (this.isOn) return
    this.isOn = true
    for (const [name, handler] of this.subscriptions) diagnosticsChannel.subscribe(name, handler)
  }

  stop(): void {
    if (!this.isOn) return
    this.isOn = false
    for (const [name, handler] of this.subscriptions) diagnosticsChannel.unsubscribe(name, handler)
  }

  private begin(request: object, host: string): void {
    this.started.set(request, { host, startMs: this.now(), stage: this.currentStage() })
  }

  private finish(request: object, isFailure: boolean): void {
    const started = this.started.get(request)
    if (started === undefined) return
    this.started.delete(request)
    const key =
      started.host in this.hosts || Object.keys(this.hosts).length < MAX_HOSTS
        ? started.host
        : OTHER_HOSTS
    const host = this.hosts[key] ?? { durationsMs: [], errors: 0, msByStage: {} }
    this.hosts[key] = host
    if (isFailure) {
      host.errors++
      return
    }
    const durationMs = this.now() - started.startMs
    if (host.durationsMs.length < MAX_DURATIONS) host.durationsMs.push(durationMs)
    if (started.stage !== null) {
      host.msByStage[started.stage] = (host.msByStage[started.stage] ?? 0) + durationMs
    }
  }
}

function nodeHost(request: object): string {
  const r = request as { getHeader?: (name: string) => unknown; host?: unknown }
  const header = r.getHeader?.('host')
  return String(header ?? r.host ?? 'unknown')
}

function undiciHost(request: object): string {
  const origin = (request as { origin?: unknown }).origin
  try {
    return new URL(String(origin)).host
  } catch {
    return String(origin)
  }
}
