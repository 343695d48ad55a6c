// Type-level tests of the public API: `npm run typecheck` (tsc over test/) fails when one breaks;
// at run time expectTypeOf does nothing, so each case also runs a trivial call.
import { describe, expectTypeOf, it } from 'vitest'
import {
  type DegradationEvent,
  type OperationPrefixDecorator,
  type OperationState,
  type OperationStats,
  type OperationThresholds,
  operationPrefix,
  PerformanceTracker,
  type Quantiles,
  type SystemSummary,
  type ThresholdEvent,
  type ThresholdViolations,
  type TimeOperationDecorator,
  type TrackerOptions,
  timeOperation,
} from '../../src/index.js'

describe('public types', () => {
  const tracker = new PerformanceTracker({ storagePath: null, watchProcess: false })

  it('wrap keeps the wrapped function type', () => {
    const add = tracker.wrap('add', (a: number, b: number) => a + b)
    expectTypeOf(add).toEqualTypeOf<(a: number, b: number) => number>()
    const load = tracker.wrap('load', async (id: string) => ({ id }))
    expectTypeOf(load).returns.resolves.toEqualTypeOf<{ id: string }>()
  })

  it('names the decorator types after what returns them, not after the global types', () => {
    expectTypeOf(timeOperation('load')).toEqualTypeOf<TimeOperationDecorator>()
    expectTypeOf(tracker.timeOperation('load')).toEqualTypeOf<TimeOperationDecorator>()
    expectTypeOf(operationPrefix('orders')).toEqualTypeOf<OperationPrefixDecorator>()
  })

  it('types each event by its name', () => {
    tracker.on('degradation', (event) => {
      expectTypeOf(event).toEqualTypeOf<DegradationEvent>()
      expectTypeOf(event.severity).toEqualTypeOf<'warning' | 'critical'>()
      expectTypeOf(event.eventLoopUtilization).toEqualTypeOf<number | null>()
    })
    tracker.on('recovery', (event) => expectTypeOf(event.durationMs).toBeNumber())
    // @ts-expect-error: not an event name
    expectTypeOf(tracker.on).toBeCallableWith('degraded', () => {})
  })

  it('types the threshold event as a union by metric', () => {
    tracker.on('threshold', (event) => {
      expectTypeOf(event).toEqualTypeOf<ThresholdEvent>()
      expectTypeOf(event.severity).toEqualTypeOf<'warning' | 'critical'>()
      if (event.metric === 'duration') {
        expectTypeOf(event.durationMs).toBeNumber()
        expectTypeOf(event.thresholdMs).toBeNumber()
      } else {
        expectTypeOf(event.severity).toEqualTypeOf<'critical'>()
        expectTypeOf(event.errorRate).toBeNumber()
        expectTypeOf(event.sampleCount).toBeNumber()
      }
    })
  })

  it('takes recommendThresholds() as the thresholds option', () => {
    expectTypeOf(tracker.recommendThresholds()).toExtend<TrackerOptions['thresholds']>()
    expectTypeOf(tracker.setThresholds).toBeCallableWith('db.query', null)
    expectTypeOf(tracker.setThresholds).toBeCallableWith('db.query', { warnMs: 1 })
    expectTypeOf<OperationStats['thresholdViolations']>().toEqualTypeOf<ThresholdViolations>()
    expectTypeOf(tracker.getThresholds('x')).toEqualTypeOf<OperationThresholds | undefined>()
  })

  it('has one Quantiles shape and the summary fields', () => {
    expectTypeOf<keyof Quantiles>().toEqualTypeOf<'p50' | 'p75' | 'p95' | 'p99'>()
    expectTypeOf<SystemSummary['baselineCoverage']>().toBeNumber()
    expectTypeOf<SystemSummary['systemDegradationRate']>().toBeNumber()
    expectTypeOf<SystemSummary['baselineChanges']>().toBeNumber()
    expectTypeOf(tracker.getOperationState('x')).toEqualTypeOf<OperationState | undefined>()
    expectTypeOf<OperationState>().toEqualTypeOf<'learning' | 'ok' | 'degraded' | 'idle'>()
  })
})
