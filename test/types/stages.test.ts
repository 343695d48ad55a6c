// Type-level tests of the pipeline API: `npm run typecheck` fails when one breaks.
import { describe, expectTypeOf, it } from 'vitest'
import {
  currentStage,
  type StageContext,
  type StageMetric,
  type StageThresholdEvent,
  StageTracker,
} from '../../src/index.js'

describe('pipeline types', () => {
  it('trackStage returns what the stage function returns, sync or async', () => {
    expectTypeOf<StageTracker['trackStage']>()
      .parameter(3)
      .toEqualTypeOf<(ctx: StageContext) => unknown>()
    const stages = new StageTracker({ persist: false, tracker: false })
    const sync = stages.trackStage('r', 'i', 's', () => 42)
    expectTypeOf(sync).toEqualTypeOf<number>()
    const later = stages.trackStage('r', 'i', 't', async () => 'x')
    expectTypeOf(later).toEqualTypeOf<Promise<string>>()
    expectTypeOf(stages.startStage('r', 'i', 'u').end()).toEqualTypeOf<StageMetric>()
  })

  it('types the context, the events and the options', () => {
    expectTypeOf(currentStage()).toEqualTypeOf<StageContext | undefined>()
    expectTypeOf<StageThresholdEvent['severity']>().toEqualTypeOf<'warning' | 'critical'>()
    // @ts-expect-error: an unknown option is a type error too
    expectTypeOf(() => new StageTracker({ outputdir: 'x' })).toBeFunction()
    const record = (ctx: StageContext) => {
      // @ts-expect-error: tokens are numbers
      ctx.recordApiCall('llm', { tokens: { input: '5' } })
    }
    expectTypeOf(record).toBeFunction()
  })
})
