import type { Baseline } from './core/baseline.js'
import type { Clock } from './core/clock.js'
import { formatDuration, formatLatency, formatLatencyOrDash, formatList } from './core/format.js'
import type { Operation } from './core/operation.js'
import type { SafeLogger } from './log.js'

/** Operations named in the message of a slow-call summary; the fields list all of them. */
const MAX_LISTED = 10

/**
 * The slow calls of one operation held back since the last slow-call line. Created once per
 * operation, on its first held call, and kept in `SlowCallLog.byOperation`; reused after every line.
 */
interface HeldCalls {
  readonly operation: Operation
  count: number
  maxDurationMs: number
  /** The slowest held call's metadata, by reference: never copied on the caller's path. */
  callMetadata: unknown
  endMetadata: unknown
}

/** One operation in the `operations` field of a summary line. */
interface SummaryEntry {
  slowCalls: number
  maxDurationMs: number
  baselineP95: number | null
  /** The slowest call's caller metadata, when it had any. */
  metadata?: object
}

/**
 * The log lines of the per-sample rule: calls above the baseline's p95 or mean + k·σ. About 5 %
 * of healthy calls are, so these lines say "these calls were slow", never "the operation got
 * slower" (that is the detector's line), and the whole tracker writes at most one of them per
 * `intervalMs` (by the tracker's clock):
 *
 * - the first slow call after a quiet interval gets a line of its own, naming it;
 * - the slow calls after it, of every operation, are counted per operation (count, slowest
 *   duration and the slowest call's metadata, by reference), and the first slow call after the
 *   interval writes one summary line for all of them, itself included;
 * - `flush()` (the tracker's `close()`) writes what is still held.
 *
 * A call counts here only when it is above the per-sample threshold by more than `toleranceMs`
 * (the detector's `detectionToleranceMs`): a 40 µs method 2 µs above its p95 is not news.
 * `degradedCount` is unaffected: the operation counts every sample above the threshold before it
 * calls `add`. While an operation is in a sustained degradation its slow calls are folded into the
 * incident: not counted here, and not listed in a summary. `intervalMs` 0 turns the lines off.
 *
 * `add` runs inside `Operation.record`, on the caller's path: holding a call is a few comparisons
 * and assignments, with no allocation beyond the operation's record the first time; whatever fails
 * (a metadata getter, a bug) is reported through `reportError`, never thrown.
 */
export class SlowCallLog {
  private readonly logger: SafeLogger
  /** The tracker's clock, read safely: NaN when it failed. */
  private readonly clock: Clock
  private readonly intervalMs: number
  private readonly toleranceMs: number
  private readonly reportError: (error: unknown) => void
  /** No line before this time (tracker clock); a NaN time never reaches it. */
  private nextLineAtMs = Number.NEGATIVE_INFINITY
  /** Time of the last slow-call line: held calls are the ones since; NaN before any. */
  private lastLineAtMs = Number.NaN
  /** Operations with calls held back, in the order of their first held call. */
  private readonly held: HeldCalls[] = []
  /** Each operation's record, by identity: one lookup per slow call, none per call. */
  private readonly byOperation = new WeakMap<Operation, HeldCalls>()

  constructor(
    logger: SafeLogger,
    clock: Clock,
    intervalMs: number,
    toleranceMs: number,
    reportError: (error: unknown) => void,
  ) {
    this.logger = logger
    this.clock = clock
    this.intervalMs = intervalMs
    this.toleranceMs = toleranceMs
    this.reportError = reportError
  }

  /**
   * A call above the per-sample threshold.
   * @param endMs the tracker clock's reading at the end of the call, NaN when the caller had none.
   */
  add(
    operation: Operation,
    durationMs: number,
    endMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void {
    try {
      if (this.intervalMs === 0 || operation.detector?.isDegraded) return
      const baseline = operation.baseline
      if (baseline === undefined || !(durationMs > baseline.slowAboveMs + this.toleranceMs)) {
        return
      }
      const nowMs = endMs >= 0 ? endMs : this.clock()
      if (nowMs >= this.nextLineAtMs) {
        this.nextLineAtMs = nowMs + this.intervalMs
        if (this.held.length === 0) {
          this.lastLineAtMs = nowMs
          this.logCall(operation, baseline, durationMs, callMetadata, endMetadata)
          return
        }
        this.hold(operation, durationMs, callMetadata, endMetadata)
        this.logHeld(nowMs)
        return
      }
      // Held back: a few comparisons and assignments, no level check, no line.
      this.hold(operation, durationMs, callMetadata, endMetadata)
    } catch (error) {
      this.reportError(error)
    }
  }

  /** Writes the summary of the calls still held back, if any (on close). */
  flush(): void {
    try {
      if (this.held.length > 0) this.logHeld(this.clock())
    } catch (error) {
      this.reportError(error)
    }
  }

  private hold(
    operation: Operation,
    durationMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void {
    let held = this.byOperation.get(operation)
    if (held === undefined) {
      held = {
        operation,
        count: 0,
        maxDurationMs: 0,
        callMetadata: undefined,
        endMetadata: undefined,
      }
      this.byOperation.set(operation, held)
    }
    if (held.count++ === 0) {
      this.held.push(held)
      held.maxDurationMs = durationMs
      held.callMetadata = callMetadata
      held.endMetadata = endMetadata
    } else if (durationMs > held.maxDurationMs) {
      held.maxDurationMs = durationMs
      held.callMetadata = callMetadata
      held.endMetadata = endMetadata
    }
  }

  /** The line of one slow call, the first after a quiet interval. */
  private logCall(
    operation: Operation,
    baseline: Baseline,
    durationMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void {
    if (!this.logger.isLevelEnabled('warn')) return
    const rule = baseline.degradationRule(durationMs)
    const threshold =
      rule === 'stdDev'
        ? `baseline mean + ${baseline.stdDevThreshold}σ ` +
          `${formatLatency(baseline.mean + baseline.stdDevThreshold * baseline.stdDev)}, ` +
          `p95 ${formatLatency(baseline.p95)}`
        : `baseline p95 ${formatLatency(baseline.p95)}`
    const merged = mergeMetadata(callMetadata, endMetadata)
    this.logger.warn(
      {
        event: 'slow-call',
        operation: operation.name,
        durationMs,
        baselineP95: baseline.p95,
        baselineMean: baseline.mean,
        baselineStdDev: baseline.stdDev,
        rule,
        ...(merged === undefined ? {} : { metadata: merged }),
      },
      `Slow call of ${operation.name}: ${formatLatency(durationMs)} (${threshold})`,
    )
  }

  /**
   * One line for every call held back since the last line, by operation, most calls first;
   * operations now in a sustained degradation are left out (folded into the incident). Clears
   * what it reports, also when building the line fails.
   */
  private logHeld(nowMs: number): void {
    const held = this.held
    try {
      if (!this.logger.isLevelEnabled('warn')) return
      const listed = held.filter((h) => !h.operation.detector?.isDegraded)
      if (listed.length === 0) return
      listed.sort((a, b) => b.count - a.count) // stable: ties keep the order of their first call
      let total = 0
      const entries: Array<[string, SummaryEntry]> = []
      for (const h of listed) {
        total += h.count
        const merged = mergeMetadata(h.callMetadata, h.endMetadata)
        const entry: SummaryEntry = {
          slowCalls: h.count,
          maxDurationMs: h.maxDurationMs,
          baselineP95: h.operation.baseline?.p95 ?? null,
        }
        if (merged !== undefined) entry.metadata = merged
        entries.push([h.operation.name, entry])
      }
      const spanMs = nowMs - this.lastLineAtMs
      const isSpanKnown = Number.isFinite(spanMs)
      const parts = entries.map(
        ([name, e]) =>
          `${name} ${e.slowCalls} (max ${formatLatency(e.maxDurationMs)}, baseline p95 ` +
          `${formatLatencyOrDash(e.baselineP95)})`,
      )
      this.logger.warn(
        {
          event: 'slow-calls',
          intervalMs: isSpanKnown ? spanMs : null,
          slowCalls: total,
          // fromEntries defines properties: an operation named "__proto__" is listed as such.
          operations: Object.fromEntries(entries),
        },
        `Slow calls${isSpanKnown ? ` in the last ${formatDuration(spanMs)}` : ''}: ` +
          formatList(parts, MAX_LISTED),
      )
    } finally {
      for (const h of held) {
        h.count = 0
        h.callMetadata = undefined
        h.endMetadata = undefined
      }
      held.length = 0
      if (nowMs >= 0) this.lastLineAtMs = nowMs
    }
  }
}

/** Caller metadata of one call (a timer's start and end metadata), merged for a log line. */
function mergeMetadata(callMetadata: unknown, endMetadata: unknown): object | undefined {
  if (callMetadata === undefined && endMetadata === undefined) return undefined
  return { ...(callMetadata as object), ...(endMetadata as object) }
}
