import {
  type EventLoopUtilization,
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks'
import { InvalidArgumentError, InvalidOptionError } from './core/errors.js'
import { isObject } from './core/validate.js'

/**
 * One stall of the process: a run of check intervals in which the event loop was blocked for at
 * least `stallThresholdMs`, reported once, after it ended. Times are `performance.now()` ms.
 *
 * The stall lies inside [startedAtMs, endedAtMs], a window at most about one check interval
 * plus the stall long: the histogram says how long the loop was blocked, not exactly when.
 */
export interface StallInfo {
  /** When the stall was noticed: it had ended by then. */
  endedAtMs: number
  /** The earliest it can have begun: the start of the first check interval it was seen in. */
  startedAtMs: number
  /**
   * How long the event loop was blocked, ms: the longest event-loop delay seen, or the check
   * timer's own lateness when that is longer. Within about `EVENT_LOOP_RESOLUTION_MS` of the
   * longest block; a stall made of several blocks reports the longest one, not their sum.
   */
  durationMs: number
  /** The highest per-interval 99th percentile of event-loop delay over the stall, ms. */
  eventLoopDelayP99Ms: number
  /** The longest event-loop delay over the stall, ms. */
  eventLoopDelayMaxMs: number
  /**
   * The longest GC pause that began within [startedAtMs, endedAtMs], ms; `null` when none was
   * seen or when the subscriber did not ask for `observeGc`.
   */
  gcPauseMs: number | null
  /** GC pauses that began within [startedAtMs, endedAtMs]; 0 without `observeGc`. */
  gcCount: number
}

/** Options of `watchProcess`; every one is optional. */
export interface ProcessMonitorOptions {
  /**
   * A check interval is stalled when the loop was blocked at least this long, ms; from 40
   * (twice the histogram's resolution) to 3,600,000. @default 50
   */
  stallThresholdMs?: number
  /**
   * How often the histogram is read, ms, from 50 to 60,000. The monitor is shared: it checks at
   * the shortest interval any subscriber asked for. @default 500
   */
  checkIntervalMs?: number
  /**
   * Observe GC pauses (`PerformanceObserver` on `gc` entries) to report them with a stall. Off
   * by default: on Node 20 it costs about 50 µs of CPU per collection (docs/process.md).
   * @default false
   */
  observeGc?: boolean
  /** Receives what `onStall` throws; without it such errors are swallowed. */
  onError?: (error: unknown) => void
}

/** What `getProcessMonitorStatus()` returns. */
export interface ProcessMonitorStatus {
  /** Subscribers now; the monitor runs while there is at least one. */
  subscribers: number
  isRunning: boolean
  isObservingGc: boolean
  /** The interval the monitor checks at, ms; `null` when stopped. */
  checkIntervalMs: number | null
}

/**
 * Resolution of the event-loop delay histogram, ms: it wakes the loop this often. A block of D
 * ms is seen as a delay between D - 20 and D (so at the default threshold every block of 70 ms
 * or more is a stall, and none under 50 ms is). Node's default, 10 ms, doubles the wake-ups, the
 * monitor's main cost: 40–65 µs of CPU each on the 2-core VM measured (docs/process.md).
 */
export const EVENT_LOOP_RESOLUTION_MS = 20

/** The browsers' long-task limit (W3C Long Tasks API): a blocked loop users notice. */
export const DEFAULT_STALL_THRESHOLD_MS = 50

export const DEFAULT_CHECK_INTERVAL_MS = 500

/**
 * Stalled check intervals in a row are merged into one report, up to this long; a process that
 * keeps stalling longer gets one report per this many ms rather than none until it stops.
 */
export const MAX_MERGED_STALL_MS = 10_000

const LIMITS = {
  stallThresholdMs: [2 * EVENT_LOOP_RESOLUTION_MS, 3_600_000],
  checkIntervalMs: [50, 60_000],
} as const

const OPTION_NAMES = ['stallThresholdMs', 'checkIntervalMs', 'observeGc', 'onError']

// GC pauses kept to be matched with stalls: a stall can be held for MAX_MERGED_STALL_MS plus an
// interval before it is reported. The count cap bounds memory under a GC storm.
const MAX_GC_ENTRIES = 8192

/**
 * Calls `onStall` once for each stall of this process: the event loop blocked at least
 * `stallThresholdMs`. One monitor per process (per worker thread) serves every subscriber: the
 * first subscriber starts it, the last unsubscribe stops it; it never keeps the process alive.
 * A report comes at the first check after the stall with no stall, so calls that finished late
 * because of it have been recorded by then.
 *
 * @returns the unsubscribe function; calling it again does nothing.
 * @throws InvalidArgumentError when `onStall` is not a function; InvalidOptionError (a
 *   RangeError naming the option) for an invalid option.
 * @example
 * const stop = watchProcess((stall) => log.warn(stall, 'event loop blocked'))
 * // on shutdown
 * stop()
 */
export function watchProcess(
  onStall: (stall: StallInfo) => void,
  options: ProcessMonitorOptions = {},
): () => void {
  if (typeof onStall !== 'function') {
    throw new InvalidArgumentError('onStall', 'a function', onStall)
  }
  const subscriber = createSubscriber(onStall, options)
  monitor.add(subscriber)
  return () => monitor.remove(subscriber)
}

/**
 * Event-loop utilization (over the monitor's last check interval) from which the process counts
 * as saturated: its calls then mostly wait for the loop, and their latency follows how much CPU
 * the process gets from moment to moment, not their own code.
 */
export const SATURATED_UTILIZATION = 0.75

/** How far behind the event loop runs, ms: NaN while no monitor runs or before its first check. */
export interface EventLoopLag {
  /** Mean event-loop delay over the last check interval. */
  nowMs: number
  /** Its exponential average over about five minutes: what is usual for this process. */
  typicalMs: number
}

/** Time constant of the typical event-loop lag, ms. */
const LAG_TIME_CONSTANT_MS = 300_000

/** The event-loop lag now and as usual (NaN when no subscriber keeps the monitor running). */
export function getEventLoopLag(): EventLoopLag {
  return monitor.lag()
}

/**
 * Event-loop utilization over the monitor's last check interval, 0-1: the share of the time the
 * loop was not waiting for I/O (`performance.eventLoopUtilization`). NaN while no monitor runs or
 * before its first check. Allocates nothing: a tracker may ask at every sample of a pending raise.
 */
export function getEventLoopUtilization(): number {
  return monitor.utilization
}

/** Whether the shared monitor runs, for how many subscribers, at which interval. */
export function getProcessMonitorStatus(): ProcessMonitorStatus {
  return monitor.status()
}

interface Subscriber {
  readonly onStall: (stall: StallInfo) => void
  readonly onError: ((error: unknown) => void) | undefined
  readonly stallThresholdMs: number
  readonly checkIntervalMs: number
  readonly observeGc: boolean
  /** The stall being seen, reported at the first check without one. */
  stall: Stall | null
}

/** A stall in progress, or one check interval's reading. */
interface Stall {
  startedAtMs: number
  endedAtMs: number
  durationMs: number
  eventLoopDelayP99Ms: number
  eventLoopDelayMaxMs: number
}

function createSubscriber(
  onStall: (stall: StallInfo) => void,
  options: ProcessMonitorOptions,
): Subscriber {
  if (!isObject(options)) throw new InvalidOptionError('options', 'an object', options)
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new InvalidOptionError(
        key,
        `Unknown option ${JSON.stringify(key)}: valid options are ${OPTION_NAMES.join(', ')}`,
      )
    }
  }
  const { observeGc = false, onError } = options
  if (typeof observeGc !== 'boolean') {
    throw new InvalidOptionError('observeGc', 'a boolean', observeGc)
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw new InvalidOptionError('onError', 'a function', onError)
  }
  return {
    onStall,
    onError,
    stallThresholdMs: numberOption(
      'stallThresholdMs',
      options.stallThresholdMs ?? DEFAULT_STALL_THRESHOLD_MS,
    ),
    checkIntervalMs: numberOption(
      'checkIntervalMs',
      options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    ),
    observeGc,
    stall: null,
  }
}

function numberOption(name: keyof typeof LIMITS, value: unknown): number {
  const [lowest, highest] = LIMITS[name]
  if (typeof value !== 'number' || !(value >= lowest && value <= highest)) {
    throw new InvalidOptionError(name, `a number in [${lowest}, ${highest}]`, value)
  }
  return value
}

/**
 * The process-wide monitor. Every check interval a timer fires; in the `setImmediate` after it
 * (so the histogram's own timer, late by the same block, has recorded it) the histogram is read
 * and reset, and the interval's reading goes to each subscriber. The reading's window runs from
 * the previous tick, not the previous read:
 *
 *   tick k-1  read k-1               tick k  read k
 *      |---------|----------------------|-------|
 *      [                window k                ]
 *                                       [      window k+1 ...
 *
 * so a block that ran between tick k-1 and read k-1 (an earlier `setImmediate`, say) but that the
 * histogram recorded only after read k-1 still lies in the window it is reported with.
 */
class ProcessMonitor {
  private readonly subscribers: Subscriber[] = []
  private histogram: IntervalHistogram | undefined
  private gcObserver: PerformanceObserver | undefined
  private timer: NodeJS.Timeout | undefined
  private intervalMs = 0
  /** When the check timer is due. */
  private dueAtMs = 0
  /** Where the next reading's window begins: the last tick. */
  private windowStartMs = 0
  /** Bumped by every start and stop: a read queued before a stop must not run after it. */
  private generation = 0
  /** GC pauses seen, oldest first: start times and durations, ms. */
  private gcStartsMs: number[] = []
  private gcDurationsMs: number[] = []
  private lagNowMs = Number.NaN
  private lagTypicalMs = Number.NaN
  /** Event-loop utilization over the last check interval (`getEventLoopUtilization`). */
  utilization = Number.NaN
  /** The event-loop utilization counters at the last read. */
  private utilizationMark: EventLoopUtilization | undefined

  add(subscriber: Subscriber): void {
    this.subscribers.push(subscriber)
    this.reconfigure()
  }

  remove(subscriber: Subscriber): void {
    const index = this.subscribers.indexOf(subscriber)
    if (index < 0) return
    this.subscribers.splice(index, 1)
    this.reconfigure()
  }

  status(): ProcessMonitorStatus {
    return {
      subscribers: this.subscribers.length,
      isRunning: this.timer !== undefined,
      isObservingGc: this.gcObserver !== undefined,
      checkIntervalMs: this.timer === undefined ? null : this.intervalMs,
    }
  }

  /** Starts, stops or adjusts the monitor to what the subscribers now ask for. */
  private reconfigure(): void {
    if (this.subscribers.length === 0) {
      this.stop()
      return
    }
    let intervalMs = Number.POSITIVE_INFINITY
    let shouldObserveGc = false
    for (const subscriber of this.subscribers) {
      intervalMs = Math.min(intervalMs, subscriber.checkIntervalMs)
      shouldObserveGc ||= subscriber.observeGc
    }
    if (this.timer === undefined) this.start()
    if (intervalMs !== this.intervalMs) this.schedule(intervalMs)
    if (shouldObserveGc && this.gcObserver === undefined) this.observeGc()
    if (!shouldObserveGc && this.gcObserver !== undefined) this.stopObservingGc()
  }

  private start(): void {
    this.generation++
    this.histogram ??= monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS })
    this.histogram.reset()
    this.histogram.enable()
    this.windowStartMs = performance.now()
    this.utilizationMark = performance.eventLoopUtilization()
    this.intervalMs = 0
  }

  /** The mean event-loop delay of the last check interval, and its slow-moving typical level. */
  lag(): EventLoopLag {
    return { nowMs: this.lagNowMs, typicalMs: this.lagTypicalMs }
  }

  private updateLag(meanMs: number): void {
    this.lagNowMs = meanMs
    // An exponential average with a time constant of LAG_TIME_CONSTANT_MS of check intervals.
    const weight = Math.min(1, this.intervalMs / LAG_TIME_CONSTANT_MS)
    this.lagTypicalMs = Number.isNaN(this.lagTypicalMs)
      ? meanMs
      : this.lagTypicalMs + weight * (meanMs - this.lagTypicalMs)
  }

  private stop(): void {
    if (this.timer === undefined) return
    this.lagNowMs = Number.NaN
    this.lagTypicalMs = Number.NaN
    this.utilization = Number.NaN
    this.generation++
    clearTimeout(this.timer)
    this.timer = undefined
    this.intervalMs = 0
    this.histogram?.disable()
    this.stopObservingGc()
  }

  /** (Re)arms the check timer `intervalMs` from now. */
  private schedule(intervalMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.intervalMs = intervalMs
    this.dueAtMs = performance.now() + intervalMs
    this.timer = setTimeout(this.tick, intervalMs)
    this.timer.unref()
  }

  private readonly tick = (): void => {
    const tickAtMs = performance.now()
    // How late the timer fired: a second witness of a block that covered its due time.
    const driftMs = Math.max(0, tickAtMs - this.dueAtMs)
    this.dueAtMs = tickAtMs + this.intervalMs
    this.timer?.refresh()
    const generation = this.generation
    setImmediate(() => {
      if (generation === this.generation) this.read(driftMs, tickAtMs)
    }).unref()
  }

  private read(driftMs: number, tickAtMs: number): void {
    const histogram = this.histogram as IntervalHistogram
    const nowMs = performance.now()
    let maxMs = 0
    let p99Ms = 0
    // The histogram records the time between its ticks, ns: the delay is what exceeds the
    // resolution. It is empty when no tick came since the last read.
    if (histogram.count > 0) {
      maxMs = Math.max(0, histogram.max / 1e6 - EVENT_LOOP_RESOLUTION_MS)
      p99Ms = Math.max(0, histogram.percentile(99) / 1e6 - EVENT_LOOP_RESOLUTION_MS)
      this.updateLag(Math.max(0, histogram.mean / 1e6 - EVENT_LOOP_RESOLUTION_MS))
    }
    histogram.reset()
    const mark = performance.eventLoopUtilization()
    this.utilization = performance.eventLoopUtilization(mark, this.utilizationMark).utilization
    this.utilizationMark = mark
    const reading: Stall = {
      startedAtMs: this.windowStartMs,
      endedAtMs: nowMs,
      durationMs: Math.max(maxMs, driftMs),
      eventLoopDelayP99Ms: p99Ms,
      eventLoopDelayMaxMs: maxMs,
    }
    this.windowStartMs = tickAtMs
    this.dropGcBefore(nowMs - MAX_MERGED_STALL_MS - 2 * this.intervalMs)
    // A copy: a listener may unsubscribe itself or others.
    for (const subscriber of this.subscribers.slice()) this.update(subscriber, reading)
  }

  private update(subscriber: Subscriber, reading: Stall): void {
    const stall = subscriber.stall
    if (reading.durationMs < subscriber.stallThresholdMs) {
      if (stall !== null) this.report(subscriber, stall)
      return
    }
    if (stall === null) {
      subscriber.stall = { ...reading }
    } else {
      stall.endedAtMs = reading.endedAtMs
      stall.durationMs = Math.max(stall.durationMs, reading.durationMs)
      stall.eventLoopDelayP99Ms = Math.max(stall.eventLoopDelayP99Ms, reading.eventLoopDelayP99Ms)
      stall.eventLoopDelayMaxMs = Math.max(stall.eventLoopDelayMaxMs, reading.eventLoopDelayMaxMs)
      if (stall.endedAtMs - stall.startedAtMs >= MAX_MERGED_STALL_MS) this.report(subscriber, stall)
    }
  }

  private report(subscriber: Subscriber, stall: Stall): void {
    subscriber.stall = null
    if (!this.subscribers.includes(subscriber)) return
    let gcPauseMs: number | null = null
    let gcCount = 0
    if (subscriber.observeGc) {
      for (let i = 0; i < this.gcStartsMs.length; i++) {
        const startMs = this.gcStartsMs[i] as number
        if (startMs < stall.startedAtMs || startMs > stall.endedAtMs) continue
        gcCount++
        gcPauseMs = Math.max(gcPauseMs ?? 0, this.gcDurationsMs[i] as number)
      }
    }
    const info: StallInfo = { ...stall, gcPauseMs, gcCount }
    try {
      subscriber.onStall(info)
    } catch (error) {
      try {
        subscriber.onError?.(error)
      } catch {
        // The error handler failed too: nothing is left to tell, and a timer must not throw.
      }
    }
  }

  private observeGc(): void {
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcStartsMs.push(entry.startTime)
        this.gcDurationsMs.push(entry.duration)
      }
      const excess = this.gcStartsMs.length - MAX_GC_ENTRIES
      if (excess > 0) {
        this.gcStartsMs.splice(0, excess)
        this.gcDurationsMs.splice(0, excess)
      }
    })
    observer.observe({ entryTypes: ['gc'] })
    this.gcObserver = observer
  }

  private stopObservingGc(): void {
    this.gcObserver?.disconnect()
    this.gcObserver = undefined
    this.gcStartsMs = []
    this.gcDurationsMs = []
  }

  private dropGcBefore(cutoffMs: number): void {
    let count = 0
    while (count < this.gcStartsMs.length && (this.gcStartsMs[count] as number) < cutoffMs) count++
    if (count === 0) return
    this.gcStartsMs.splice(0, count)
    this.gcDurationsMs.splice(0, count)
  }
}

const monitor = new ProcessMonitor()
