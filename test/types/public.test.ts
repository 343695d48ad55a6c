// Type-level tests of the public API: `npm run typecheck` (tsc over test/) fails when one breaks;
// at run time expectTypeOf does nothing, so each case also runs a trivial call.
import { describe, expectTypeOf, it } from 'vitest'
import {
  type DegradationEvent,
  type OperationPrefixDecorator,
  type OperationState,
  operationPrefix,
  PerformanceTracker,
  type Quantiles,
  type SystemSummary,
  type TimeOperationDecorator,
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

  it('has one Quantiles shape and the summary fields', () => {
    expectTypeOf<keyof Quantiles>().toEqualTypeOf<'p50' | 'p75' | 'p95' | 'p99'>()
    expectTypeOf<SystemSummary['baselineCoverage']>().toBeNumber()
    expectTypeOf<SystemSummary['systemDegradationRate']>().toBeNumber()
    expectTypeOf<SystemSummary['baselineChanges']>().toBeNumber()
    expectTypeOf(tracker.getOperationState('x')).toEqualTypeOf<OperationState | undefined>()
    expectTypeOf<OperationState>().toEqualTypeOf<'learning' | 'ok' | 'degraded' | 'idle'>()
  })
})
