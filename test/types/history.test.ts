// Type-level tests of perfwatch/history: `npm run typecheck` fails when one breaks.
import { describe, expectTypeOf, it } from 'vitest'
import type { RequestSink } from '../../src/http/node.js'
import {
  type Grade,
  type HistoryHealth,
  HistoryStore,
  type HistoryStoreOptions,
  type RouteSummary,
  type Severity,
  type TrendPoint,
} from '../../src/storage/history-store.js'

describe('history store types', () => {
  it('is a RequestSink, so it plugs into every middleware as history', () => {
    expectTypeOf<HistoryStore>().toExtend<RequestSink>()
  })

  it('names units in the fields and spells out the grades and severities', () => {
    expectTypeOf<RouteSummary['p95Ms']>().toEqualTypeOf<number>()
    expectTypeOf<TrendPoint>().toEqualTypeOf<{
      hourMs: number
      requests: number
      averageMs: number
      p95Ms: number
    }>()
    expectTypeOf<Grade>().toEqualTypeOf<'A+' | 'A' | 'B+' | 'B' | 'C+' | 'C' | 'D' | 'F'>()
    expectTypeOf<Severity>().toEqualTypeOf<'good' | 'warning' | 'slow' | 'critical'>()
    expectTypeOf<HistoryHealth['health']>().toExtend<{ grade: Grade } | null>()
  })

  it('takes a window of days and rejects unknown options at compile time', () => {
    expectTypeOf<HistoryStore['overview']>()
      .parameter(0)
      .toEqualTypeOf<{ days?: number } | undefined>()
    expectTypeOf<HistoryStoreOptions['usesCache']>().toEqualTypeOf<boolean | 'auto' | undefined>()
    // @ts-expect-error: an unknown option
    expectTypeOf(() => new HistoryStore({ keepraw: true })).toBeFunction()
  })
})
