/** Memory readings for the profiler: RSS and heap used, now and every `intervalMs` (unref'd). */

/** One reading, bytes. */
export interface MemoryReading {
  rssBytes: number
  heapBytes: number
}

/** RSS and heap used now. */
export function readMemory(): MemoryReading {
  const usage = process.memoryUsage()
  return { rssBytes: usage.rss, heapBytes: usage.heapUsed }
}

/** Calls `onReading` with a reading every `intervalMs` on an unref'd timer, until `stop()`. */
export class MemorySampler {
  private timer: NodeJS.Timeout | undefined
  private readonly intervalMs: number
  private readonly onReading: (reading: MemoryReading) => void
  private readonly reportError: (error: unknown) => void

  constructor(
    intervalMs: number,
    onReading: (reading: MemoryReading) => void,
    reportError: (error: unknown) => void,
  ) {
    this.intervalMs = intervalMs
    this.onReading = onReading
    this.reportError = reportError
  }

  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      try {
        this.onReading(readMemory())
      } catch (error) {
        this.reportError(error)
      }
    }, this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }
}
