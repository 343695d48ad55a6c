/** Event-loop delay for the profiler (`monitorEventLoopDelay`), on only while profiling. */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks'
import type { EventLoopFigures } from '../report/profile-report.js'

/** The histogram's sampling resolution, ms (Node's default). */
const RESOLUTION_MS = 10

export class EventLoopDelay {
  private histogram: IntervalHistogram | undefined

  start(): void {
    if (this.histogram !== undefined) return
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    this.histogram.enable()
  }

  stop(): void {
    this.histogram?.disable()
  }

  /** p50, p99 and max so far, ms; zeros before any sample. */
  figures(): EventLoopFigures {
    const h = this.histogram
    if (h === undefined || h.count === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0 }
    return { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 }
  }
}
