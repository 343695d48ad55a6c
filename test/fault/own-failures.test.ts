import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { type Logger, PerformanceTracker } from '../../src/index.js'
import { type ClockFault, type FaultyClock, faultyClock } from '../helpers/clock.js'
import { logSink } from '../helpers/log-sink.js'
import { logNormal } from '../helpers/random.js'
import { nextTurn } from '../helpers/tracker.js'

// perfwatch's own failures (logger, listener, clock) never reach the monitored code: every call
// below returns its own value, the samples that can be measured are recorded, and each failure
// is counted in getSystemSummary().internalErrors.

interface Fixture {
  defineServices(tracker: PerformanceTracker): {
    OrderService: new () => { add(a: number, b: number): number }
  }
}
const fixture = (await import(
  new URL('../fixtures/decorators/out/standard/services.js', import.meta.url).href
)) as Fixture

// Past the first baseline (100) and maturing (1,000), a 1.8x slowdown the detector raises, then
// a recovery. Every path gets the same durations, median 10 ms.
const PHASES: Array<[calls: number, factor: number]> = [
  [3000, 1],
  [2000, 1.8],
  [3000, 1],
]
const CALLS = 8000
// Calls whose start (k % 41 === 3) or end (k % 41 === 23) clock reading is made to fail.
const faultAt = (k: number) => (k % 41 === 3 ? 0 : k % 41 === 23 ? 1 : -1)

const PATHS = ['record', 'startOperation', 'wrap sync', 'wrap async', 'decorated'] as const
type Path = (typeof PATHS)[number]

interface Scenario {
  logger?: () => Logger
  clockFault?: ClockFault
  throwingListeners?: boolean
  /** Whether the scenario must count internal errors (clock faults: exactly one per fault). */
  countsErrors: boolean
}

const fail = () => {
  throw new Error('logger broke')
}
const SCENARIOS: Record<string, Scenario> = {
  // pino writing to a destination that throws: every line fails
  'a logger whose every call throws': {
    logger: () => pino({}, { write: fail }),
    countsErrors: true,
  },
  'a logger that throws only on warn': {
    logger: () =>
      pino(
        {
          hooks: {
            logMethod(args, method, level) {
              if (level === 40) fail()
              return method.apply(this, args)
            },
          },
        },
        { write() {} },
      ),
    countsErrors: true,
  },
  'a logger without isLevelEnabled': {
    logger: () => {
      const { logger } = logSink()
      return {
        info: (o: object, m: string) => logger.info(o, m),
        warn: (o: object, m: string) => logger.warn(o, m),
        error: (o: object, m: string) => logger.error(o, m),
      }
    },
    countsErrors: false,
  },
  'a clock that throws': { clockFault: 'throw', countsErrors: true },
  'a clock that returns NaN': { clockFault: 'NaN', countsErrors: true },
  'a clock that returns Infinity': { clockFault: 'Infinity', countsErrors: true },
  'a clock that goes backwards': { clockFault: 'backwards', countsErrors: true },
  'listeners that throw on every event': { throwingListeners: true, countsErrors: true },
}

/** Calls one path CALLS times: its state after each phase, the samples dropped, its stats. */
async function drive(
  path: Path,
  tracker: PerformanceTracker,
  clock: FaultyClock,
  fault?: ClockFault,
) {
  const name = path === 'decorated' ? 'OrderService.add' : path
  const service = new (fixture.defineServices(tracker).OrderService)()
  const sync = tracker.wrap(name, (x: number) => x + 1)
  const async = tracker.wrap(name, async (x: number) => 2 * x)
  const draw = logNormal(1)
  const states: unknown[] = []
  let dropped = 0
  let k = 0
  for (const [calls, factor] of PHASES) {
    for (let i = 0; i < calls; i++, k++) {
      clock.stepMs = factor * draw() // every call lasts from its start reading to its end
      const at = path === 'record' || fault === undefined ? -1 : faultAt(k)
      // A reading that goes backwards is only visible at the end of a call.
      const isFaulted = at === 1 || (at === 0 && fault !== 'backwards')
      if (isFaulted) {
        clock.failNext(fault as ClockFault, at)
        dropped++
      }
      let isOwnValue: boolean
      if (path === 'record') isOwnValue = tracker.record(name, clock.stepMs) === undefined
      else if (path === 'startOperation') {
        const durationMs = tracker.endOperation(tracker.startOperation(name))
        isOwnValue = isFaulted
          ? Number.isNaN(durationMs)
          : Math.abs(durationMs - clock.stepMs) < 1e-9
      } else if (path === 'wrap sync') isOwnValue = sync(k) === k + 1
      else if (path === 'wrap async') isOwnValue = (await async(k)) === 2 * k
      else isOwnValue = service.add(k, 1) === k + 11
      if (!isOwnValue) throw new Error(`${path} call ${k} did not return its own value`)
    }
    states.push(tracker.getOperationState(name))
  }
  await nextTurn() // events and baseline reports are delivered after the calls
  return { states, dropped, stats: tracker.getOperationStats(name) }
}

describe.each(Object.entries(SCENARIOS))('with %s', (_, scenario) => {
  it.each(PATHS)('%s never throws, returns its value, records and counts', async (path) => {
    const clock = faultyClock()
    const tracker = new PerformanceTracker({
      storagePath: null,
      clock,
      logger: scenario.logger?.() ?? logSink().logger,
      recoveryHoldMs: 0, // the recovery in the third phase is reported as soon as it drains
    })
    if (scenario.throwingListeners) {
      const throwing = () => {
        throw new Error('listener broke')
      }
      tracker.on('degradation', throwing).on('recovery', throwing).on('baseline', throwing)
    }
    // record reads the clock only to report; there the clock fails on every reading
    if (path === 'record' && scenario.clockFault !== undefined)
      clock.failAlways(scenario.clockFault)
    const { states, dropped, stats } = await drive(path, tracker, clock, scenario.clockFault)
    clock.failAlways(null)
    expect(states).toEqual(['ok', 'degraded', 'ok'])
    expect(stats?.totalCount).toBe(CALLS - dropped)
    expect(stats?.baseline?.sampleCount).toBe(1000)
    const { internalErrors } = tracker.getSystemSummary()
    if (!scenario.countsErrors) expect(internalErrors).toBe(0)
    else if (dropped > 0)
      expect(internalErrors).toBe(dropped) // one per bad reading
    else if (scenario.clockFault !== 'backwards') expect(internalErrors).toBeGreaterThan(0)
    await tracker.close()
  })
})
