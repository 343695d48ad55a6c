// Type-level tests of the profiler API: `npm run typecheck` fails when one breaks.
import { describe, expectTypeOf, it } from 'vitest'
import {
  getProfiler,
  type ProfileReport,
  Profiler,
  type ProfilerOptions,
  renderReport,
  type StageHooks,
  type StageTracker,
} from '../../src/index.js'

describe('profiler types', () => {
  it('accepts a Profiler or false as a StageTracker profile, and types the report', () => {
    expectTypeOf<Profiler>().toExtend<StageHooks>()
    expectTypeOf<StageTracker>().toBeObject()
    expectTypeOf(getProfiler).returns.toEqualTypeOf<Profiler>()
    expectTypeOf<Profiler['report']>().returns.toEqualTypeOf<ProfileReport>()
    expectTypeOf(renderReport).returns.toEqualTypeOf<string>()
    expectTypeOf<ProfileReport['detail']>().toEqualTypeOf<'basic' | 'detailed' | 'full'>()
    expectTypeOf<ProfilerOptions['detail']>().toEqualTypeOf<
      'basic' | 'detailed' | 'full' | undefined
    >()
    expectTypeOf<Profiler['profileStage']>().returns.toBeUnknown()
  })

  it('rejects unknown options and details at compile time', () => {
    // @ts-expect-error: an unknown option
    expectTypeOf(() => new Profiler({ enable: true })).toBeFunction()
    // @ts-expect-error: not a level
    expectTypeOf(() => new Profiler({ detail: 'verbose' })).toBeFunction()
  })
})
