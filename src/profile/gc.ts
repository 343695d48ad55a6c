/**
 * Garbage collection for the profiler: count, pauses and the heap right after each major GC
 * (`PerformanceObserver` on `gc` entries), the input of the leak verdict.
 */
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks'
import type { GcFigures, HeapReading } from '../report/profile-report.js'

/** Post-GC heap readings kept; beyond it every other one is dropped (the slope still holds). */
const MAX_READINGS = 10_000

export class GcObserver {
  readonly figures: GcFigures = { count: 0, majorCount: 0, totalPauseMs: 0, longestPauseMs: 0 }
  readonly readings: HeapReading[] = []
  private observer: PerformanceObserver | undefined
  private readonly now: () => number
  private readonly currentStage: () => string | null
  private readonly reportError: (error: unknown) => void

  constructor(
    now: () => number,
    currentStage: () => string | null,
    reportError: (error: unknown) => void,
  ) {
    this.now = now
    this.currentStage = currentStage
    this.reportError = reportError
  }

  start(): void {
    if (this.observer !== undefined) return
    this.observer = new PerformanceObserver((list) => {
      try {
        for (const entry of list.getEntries()) this.add(entry)
      } catch (error) {
        this.reportError(error)
      }
    })
    this.observer.observe({ entryTypes: ['gc'] })
  }

  stop(): void {
    this.observer?.disconnect()
    this.observer = undefined
  }

  private add(entry: PerformanceEntry): void {
    const figures = this.figures
    figures.count++
    figures.totalPauseMs += entry.duration
    figures.longestPauseMs = Math.max(figures.longestPauseMs, entry.duration)
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind
    if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) return
    figures.majorCount++
    this.readings.push({
      atMs: this.now(),
      heapBytes: process.memoryUsage().heapUsed,
      stage: this.currentStage(),
    })
    if (this.readings.length > MAX_READINGS) {
      const kept = this.readings.filter((_, i) => i % 2 === 0)
      this.readings.splice(0, this.readings.length, ...kept)
    }
  }
}
