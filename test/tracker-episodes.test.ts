import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import {
  type BaselineUnstableEvent,
  type DegradationEvent,
  PerformanceTracker,
  type ProcessSlowdownEvent,
  type RecoveryEvent,
  type StallEvent,
  type TrackerOptions,
} from '../src/index.js'
import { SATURATED_EVIDENCE_SPAN_MS } from '../src/tracker.js'
import { ERROR, logSink, WARN } from './helpers/log-sink.js'
import { itRealTime } from './helpers/mutation.js'
import { logNormal } from './helpers/random.js'
import { nextTurn, testTracker } from './helpers/tracker.js'

const run = promisify(execFile)

/** A tracker on a manual clock; `feed` records `count` samples `msApart` apart. */
function setup(options: TrackerOptions = {}) {
  const { tracker, clock, lines } = testTracker(options)
  const draw = logNormal(21)
  const events = {
    degradation: [] as DegradationEvent[],
    recovery: [] as RecoveryEvent[],
    unstable: [] as BaselineUnstableEvent[],
    slowdown: [] as ProcessSlowdownEvent[],
  }
  tracker.on('degradation', (e) => events.degradation.push(e))
  tracker.on('recovery', (e) => events.recovery.push(e))
  tracker.on('baseline-unstable', (e) => events.unstable.push(e))
  tracker.on('process-slowdown', (e) => events.slowdown.push(e))
  const feed = (name: string, count: number, factor = 1, msApart = 1) => {
    for (let i = 0; i < count; i++) {
      clock.advance(msApart)
      tracker.record(name, factor * draw())
    }
  }
  return { tracker, clock, lines, events, feed }
}

describe('an episode', () => {
  it('is raised once and recovered once when the slowdown comes back within the hold', async () => {
    const { tracker, events, feed } = setup()
    feed('db.query', 3000)
    for (let round = 0; round < 3; round++) {
      feed('db.query', 1000, 1.8) // slow for 1 s
      feed('db.query', 3000) // healthy for 3 s: the charts drain, the 10-s hold is not over
    }
    expect(tracker.getOperationState('db.query')).toBe('degraded')
    feed('db.query', 11_000)
    await nextTurn()
    expect(events.degradation).toHaveLength(1)
    expect(events.degradation[0]?.eventLoopUtilization).toBeNull() // the process is not watched
    expect(events.recovery).toHaveLength(1)
    expect(tracker.getOperationState('db.query')).toBe('ok')
  })

  it('is reported again within the hold only when it got clearly worse', async () => {
    const { tracker, events, feed, lines } = setup()
    feed('db.query', 3000)
    feed('db.query', 1000, 1.5) // a warning
    await nextTurn()
    while ((tracker.getOperationStats('db.query')?.detector?.shiftScore ?? 0) > 0) {
      feed('db.query', 1)
    }
    feed('db.query', 1000)
    feed('db.query', 500, 1.5) // back, no worse: nothing new
    await nextTurn()
    expect(events.degradation.map((e) => [e.severity, e.escalated])).toEqual([['warning', false]])
    feed('db.query', 4000)
    feed('db.query', 300, 5) // back within the hold, and critical
    await nextTurn()
    expect(events.degradation.map((e) => [e.severity, e.escalated])).toEqual([
      ['warning', false],
      ['critical', true],
    ])
    expect(events.degradation[1]?.at).not.toBe(events.degradation[0]?.at)
    expect(lines.filter((l) => l.event === 'degradation').at(-1)?.msg).toMatch(
      /^Worse within the same episode: Sustained degradation of db\.query/,
    )
    expect(events.recovery).toHaveLength(0)
  })

  it('raises again after the hold is over', async () => {
    const { events, feed } = setup({ recoveryHoldMs: 1000 })
    feed('db.query', 3000)
    feed('db.query', 1000, 2)
    feed('db.query', 3000)
    feed('db.query', 1000, 2)
    await nextTurn()
    expect(events.degradation).toHaveLength(2)
    expect(events.recovery).toHaveLength(1)
  })
})

describe('an operation with no samples', () => {
  it('shows as idle after idleAfterMs, not as degraded, and resumes with its samples', () => {
    const { tracker, clock, feed } = setup({ idleAfterMs: 30_000 })
    feed('db.query', 3000)
    feed('db.query', 500, 3)
    expect(tracker.getOperationState('db.query')).toBe('degraded')
    clock.advance(29_000)
    expect(tracker.getOperationState('db.query')).toBe('degraded')
    clock.advance(1000)
    expect(tracker.getOperationState('db.query')).toBe('idle')
    expect(tracker.getSystemSummary()).toMatchObject({ currentlyDegraded: [] })
    expect(tracker.getOperationStats('db.query')?.state).toBe('idle')
    feed('db.query', 1, 3)
    expect(tracker.getOperationState('db.query')).toBe('degraded')
  })
})

describe('a slowdown present from the start', () => {
  it('is reported as baseline-unstable after 3 refused maturings, with the way out', async () => {
    const { tracker, events, feed, lines } = setup()
    feed('db.query', 100) // the first baseline
    feed('db.query', 900, 3) // slower: refused
    feed('db.query', 1000, 3)
    await nextTurn()
    expect(events.unstable).toHaveLength(0)
    feed('db.query', 1000, 3) // the third refusal in a row
    await nextTurn()
    expect(tracker.getOperationState('db.query')).toBe('learning')
    expect(events.unstable).toHaveLength(1)
    const event = events.unstable[0] as BaselineUnstableEvent
    expect(event).toMatchObject({ operation: 'db.query', refusals: 3 })
    expect(event.firstBaseline.sampleCount).toBe(100)
    expect(event.recent.p50).toBeGreaterThan(2 * event.firstBaseline.p50)
    const line = lines.find((l) => l.event === 'baseline-unstable')
    expect(line?.level).toBe(WARN)
    expect(line?.msg).toContain('tracker.acceptCurrentAsBaseline("db.query")')
    expect(line?.msg).toContain('tracker.resetBaseline("db.query")')
    feed('db.query', 3000, 3) // refusals 4, 5, 6: reported again at 6 only
    await nextTurn()
    expect(events.unstable.map((e) => e.refusals)).toEqual([3, 6])
    tracker.acceptCurrentAsBaseline('db.query')
    feed('db.query', 1000, 3)
    expect(tracker.getOperationState('db.query')).toBe('ok')
  })
})

describe('most operations slowing down together', () => {
  it('is one process-wide incident listing them, reported when it starts and ends', async () => {
    const { events, feed, lines } = setup({ recoveryHoldMs: 0 })
    const names = ['a', 'b', 'c', 'd']
    const all = (count: number, factor: number) => {
      for (let i = 0; i < count; i++) for (const name of names) feed(name, 1, factor, 0.25)
    }
    all(3000, 1)
    all(400, 3)
    await nextTurn()
    expect(events.degradation).toHaveLength(4)
    expect(events.slowdown).toHaveLength(1)
    expect(events.slowdown[0]).toMatchObject({ activeOperations: 4, ended: false })
    expect(events.slowdown[0]?.operations).toHaveLength(3) // reported when the third one raised
    const line = lines.find((l) => l.event === 'process-slowdown')
    expect(line?.level).toBe(ERROR)
    expect(line?.msg).toMatch(/^3 of 4 operations are degraded together/)
    all(3000, 1)
    await nextTurn()
    expect(events.slowdown).toHaveLength(2)
    expect(events.slowdown[1]?.ended).toBe(true)
  })

  it('is not reported when one operation of many degrades', async () => {
    const { events, feed } = setup()
    for (const name of ['a', 'b', 'c', 'd']) feed(name, 3000)
    feed('a', 500, 3)
    await nextTurn()
    expect(events.degradation).toHaveLength(1)
    expect(events.slowdown).toHaveLength(0)
  })
})

const busyWait = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

describe('a stall of the process', () => {
  itRealTime(
    'is one stall event naming the operations it slowed, not their degradation',
    async () => {
      const sink = logSink()
      // the default clock: stalls are timed by performance.now()
      const tracker = new PerformanceTracker({ storagePath: null, logger: sink.logger })
      const stalls: StallEvent[] = []
      const degradations: DegradationEvent[] = []
      tracker.on('stall', (e) => stalls.push(e))
      tracker.on('degradation', (e) => degradations.push(e))
      const fetch = tracker.wrap('db.fetch', () => new Promise((r) => setTimeout(r, 1)))
      for (let i = 0; i < 150; i++) await fetch() // a first baseline at 100
      const inFlight = Array.from({ length: 50 }, () => fetch())
      busyWait(250) // every call in flight finishes ~250 ms late
      await Promise.all(inFlight)
      const deadline = performance.now() + 5000
      while (stalls.length === 0 && performance.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50))
      }
      await tracker.close()
      // other stalls of a busy test machine may be reported too; this one is among them
      const stall = stalls.find((s) => s.durationMs > 150)
      expect(stall?.operations).toContain('db.fetch')
      expect(stall?.eventLoopDelayMaxMs).toBeGreaterThan(150)
      expect(degradations).toHaveLength(0)
      const line = sink.lines.find((l) => l.event === 'stall' && (l.durationMs as number) > 150)
      expect(line?.level).toBe(WARN)
      expect(line?.msg).toMatch(/^The process stalled for \d+ms .*db\.fetch/)
    },
  )
})

describe('a saturated process', () => {
  /** Keeps the event loop busy for `ms`, letting its timers run (utilization near 1). */
  async function saturate(ms: number) {
    const end = performance.now() + ms
    while (performance.now() < end) {
      busyWait(10)
      await new Promise((r) => setImmediate(r))
    }
  }

  itRealTime(
    `raises a slowdown only once its evidence spans ${SATURATED_EVIDENCE_SPAN_MS} ms`,
    async () => {
      const { tracker, events, feed, lines } = setup({ watchProcess: true })
      feed('route', 6000) // mature after minLearningMs, at 1,000 calls/s
      // over two of the process monitor's check intervals (500 ms): its last reading is busy
      await saturate(1200)
      feed('route', 300, 2) // 300 ms of 2x: raised after ~60 samples in an idle process
      expect(tracker.getOperationState('route')).toBe('ok')
      feed('route', SATURATED_EVIDENCE_SPAN_MS, 2) // it goes on: now it spans 2.3 s
      expect(tracker.getOperationState('route')).toBe('degraded')
      await tracker.close()
      await nextTurn()
      expect(events.degradation).toHaveLength(1)
      // raised at the first sample its evidence spanned 2 s (1 sample/ms)
      const since = events.degradation[0]?.samplesSinceOnset
      expect(since).toBeGreaterThanOrEqual(SATURATED_EVIDENCE_SPAN_MS)
      expect(since).toBeLessThan(SATURATED_EVIDENCE_SPAN_MS + 20)
      expect(events.degradation[0]?.eventLoopUtilization).toBeGreaterThan(0.75)
      expect(lines.find((l) => l.event === 'degradation')?.msg).toMatch(
        /; the process is saturated \(event loop \d+(\.\d)?% busy\)$/,
      )
    },
  )

  itRealTime('raises at once when the event loop was mostly idle', async () => {
    const { tracker, events, feed, lines } = setup({ watchProcess: true })
    feed('route', 6000)
    await new Promise((r) => setTimeout(r, 1200))
    feed('route', 300, 2)
    expect(tracker.getOperationState('route')).toBe('degraded')
    await tracker.close()
    await nextTurn()
    expect(events.degradation[0]?.eventLoopUtilization).toBeLessThan(0.75)
    expect(lines.find((l) => l.event === 'degradation')?.msg).not.toMatch(/saturated/)
  })
})

describe('a service warming up', () => {
  // The first second of traffic is faster than what follows (connections ramping up, a cache
  // filling), as measured in a real Express and Fastify service under load.
  function warmUp(options: TrackerOptions) {
    const { tracker, events, feed } = setup(options)
    feed('route', 1000, 0.6) // 1 s at 1,000 calls/s, 40% faster
    const afterOneSecond = tracker.getOperationState('route')
    feed('route', 15_000) // then the steady state
    return { tracker, events, afterOneSecond }
  }

  it('is not judged against its first second: the baseline matures after minLearningMs', async () => {
    const { tracker, events, afterOneSecond } = warmUp({ minLearningMs: 5000 }) // the default
    await nextTurn()
    expect(afterOneSecond).toBe('learning')
    const stats = tracker.getOperationStats('route')
    expect(stats?.state).toBe('ok')
    expect(stats?.baseline?.sampleCount).toBe(1000)
    expect(stats?.baseline?.p50).toBeGreaterThan(9) // the steady state's median, 10 ms
    expect(events.degradation).toHaveLength(0)
    expect(events.unstable).toHaveLength(0)
  })

  it('learns a busy operation over all of minLearningMs, not its last fraction of a second', () => {
    // 5,000 calls/s whose level wanders every 600 ms (queues filling and draining): 1,000
    // calls are 0.2 s, one level only; the baseline must hold both.
    const { tracker, feed } = setup({ minLearningMs: 5000 })
    let phases = 0
    while (tracker.getOperationState('route') !== 'ok' && phases < 100) {
      feed('route', 3000, phases++ % 2 === 0 ? 0.8 : 1.25, 0.2)
    }
    const baseline = tracker.getOperationStats('route')?.baseline
    expect(baseline?.sampleCount).toBe(1000)
    expect(phases * 600).toBeGreaterThanOrEqual(5000)
    expect(phases * 600).toBeLessThanOrEqual(10_600) // matures within twice minLearningMs
    // log-normal, median 10 ms: the fast phases' median 8 ms, the slow ones' 12.5 ms
    expect(baseline?.p50).toBeGreaterThan(8.5)
    expect(baseline?.p50).toBeLessThan(12)
    expect(baseline?.p95).toBeGreaterThan(18) // the slow phases' p95 (about 28 ms), not 18
  })

  it('matures on the warm-up with minLearningMs: 0, and then raises on the steady state', async () => {
    const { events, afterOneSecond } = warmUp({ minLearningMs: 0 })
    await nextTurn()
    expect(afterOneSecond).toBe('ok')
    expect(events.degradation.length).toBeGreaterThan(0)
  })
})

describe('a tracker dropped without close()', () => {
  itRealTime(
    'is not kept alive by the process monitor: its subscription ends at the next stall',
    async () => {
      const fixture = new URL('./fixtures/tracker/dropped.mjs', import.meta.url).pathname
      const { stdout } = await run(process.execPath, ['--expose-gc', fixture], {
        timeout: 20_000,
      })
      expect(JSON.parse(stdout)).toEqual({ before: 1, after: 0 })
    },
  )
})
