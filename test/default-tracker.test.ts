import { describe, expect, it } from 'vitest'
import { getPerformanceTracker, TrackerExistsError } from '../src/index.js'
import { logSink } from './helpers/log-sink.js'

describe('getPerformanceTracker', () => {
  it('creates one tracker with the first options and returns it on every call', async () => {
    // Configured before the first decorated call, as a service does at start-up.
    const tracker = getPerformanceTracker({ storagePath: null, logger: logSink().logger })
    expect(getPerformanceTracker()).toBe(tracker)
    expect(() => getPerformanceTracker({ windowSize: 10 })).toThrow(TrackerExistsError)
    expect(getPerformanceTracker()).toBe(tracker)

    // A class decorated with @timeOperation() and no tracker records into it.
    const url = new URL('./fixtures/decorators/out/standard/services.js', import.meta.url).href
    const { DefaultTrackerService } = (await import(url)) as {
      DefaultTrackerService: new () => { ping(): string }
    }
    expect(new DefaultTrackerService().ping()).toBe('pong')
    expect(tracker.getOperationStats('DefaultTrackerService.ping')?.totalCount).toBe(1)
  })

  it('is shared through globalThis, so two copies of the package agree', () => {
    const key = Symbol.for('perfwatch.tracker')
    expect((globalThis as Record<symbol, unknown>)[key]).toBe(getPerformanceTracker())
  })
})
