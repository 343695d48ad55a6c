import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/core/errors.js'
import {
  EVENT_LOOP_RESOLUTION_MS,
  getProcessMonitorStatus,
  type ProcessMonitorOptions,
  type ProcessMonitorStatus,
  type StallInfo,
  watchProcess,
} from '../src/process-monitor.js'

// Real stalls: a synchronous busy-wait on the event loop. This host has two noisy cores, so
// thresholds are generous, check intervals short (100 ms), and timings are asserted only as
// bounds a slower machine can only widen.
const BLOCK_MS = 120
const FAST: ProcessMonitorOptions = { checkIntervalMs: 100, stallThresholdMs: 60 }
const child = new URL('./fixtures/process-monitor/child.mjs', import.meta.url).pathname
const CHILD_LIMIT_MS = 10_000

function busyWait(ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) {}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Blocks the loop `ms`, returns the block's start and end. */
function block(ms = BLOCK_MS): { startMs: number; endMs: number } {
  const startMs = performance.now()
  busyWait(ms)
  return { startMs, endMs: performance.now() }
}

/** Stalls whose window overlaps the block. */
function overlapping(stalls: StallInfo[], { startMs, endMs }: { startMs: number; endMs: number }) {
  return stalls.filter((stall) => stall.startedAtMs < endMs && stall.endedAtMs > startMs)
}

const unsubscribes: Array<() => void> = []
function watch(onStall: (stall: StallInfo) => void, options?: ProcessMonitorOptions) {
  const stop = watchProcess(onStall, options)
  unsubscribes.push(stop)
  return stop
}

afterEach(() => {
  for (const stop of unsubscribes.splice(0)) stop()
  expect(getProcessMonitorStatus()).toEqual({
    subscribers: 0,
    isRunning: false,
    isObservingGc: false,
    checkIntervalMs: null,
  })
})

/** What the child prints, a JSON object a line. */
interface ChildLine {
  stall?: StallInfo | null
  status?: ProcessMonitorStatus
}

function runChild(
  args: string[],
): Promise<{ code: number | null; ms: number; lines: ChildLine[] }> {
  const startMs = performance.now()
  const proc = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  proc.stdout.on('data', (chunk) => {
    out += chunk
  })
  return new Promise((resolve, reject) => {
    // A monitor that kept the child alive would never let it exit: kill it (before the test's
    // own timeout, so no child outlives the run) and fail.
    const killer = setTimeout(() => proc.kill('SIGKILL'), CHILD_LIMIT_MS)
    proc.on('error', reject)
    proc.on('exit', (code) => {
      clearTimeout(killer)
      const lines = out
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as ChildLine)
      resolve({ code, ms: performance.now() - startMs, lines })
    })
  })
}

describe('watchProcess', () => {
  it('reports a 120-ms block of the event loop exactly once, after it ended', async () => {
    const stalls: StallInfo[] = []
    const deliveredAtMs: number[] = []
    watch((stall) => {
      stalls.push(stall)
      deliveredAtMs.push(performance.now())
    }, FAST)
    await sleep(250)
    const blocked = block()
    expect(stalls).toEqual([])
    await sleep(600)

    const ours = overlapping(stalls, blocked)
    expect(ours).toHaveLength(1)
    const stall = ours[0] as StallInfo
    // The window contains the block; the histogram sees it to within its resolution.
    expect(stall.startedAtMs).toBeLessThanOrEqual(blocked.startMs)
    expect(stall.endedAtMs).toBeGreaterThanOrEqual(blocked.endMs)
    expect(stall.durationMs).toBeGreaterThanOrEqual(BLOCK_MS - EVENT_LOOP_RESOLUTION_MS)
    expect(stall.durationMs).toBeLessThan(1000)
    expect(stall.eventLoopDelayMaxMs).toBeGreaterThanOrEqual(BLOCK_MS - EVENT_LOOP_RESOLUTION_MS)
    expect(stall.eventLoopDelayMaxMs).toBeLessThanOrEqual(stall.durationMs)
    expect(stall.eventLoopDelayP99Ms).toBeGreaterThan(0)
    expect(stall.eventLoopDelayP99Ms).toBeLessThanOrEqual(stall.eventLoopDelayMaxMs)
    // Without observeGc there is no GC information.
    expect(stall.gcPauseMs).toBeNull()
    expect(stall.gcCount).toBe(0)
    const delivered = deliveredAtMs[stalls.indexOf(stall)] as number
    expect(delivered).toBeGreaterThanOrEqual(stall.endedAtMs)
  })

  it('reports nothing while the event loop is not blocked', async () => {
    const stalls: StallInfo[] = []
    // A generous threshold: on a busy host the process itself may not run for tens of ms.
    watch((stall) => stalls.push(stall), { checkIntervalMs: 100, stallThresholdMs: 300 })
    // Light work in many short turns, as a service doing its job.
    const endMs = performance.now() + 1200
    let turns = 0
    while (performance.now() < endMs) {
      busyWait(2)
      turns++
      await new Promise((resolve) => setImmediate(resolve))
    }
    await sleep(250)
    expect(turns).toBeGreaterThan(10)
    expect(stalls).toEqual([])
  })

  it('reports a stall spanning several check intervals once, with the whole span', async () => {
    const stalls: StallInfo[] = []
    watch((stall) => stalls.push(stall), { checkIntervalMs: 100, stallThresholdMs: 45 })
    await sleep(250)
    // Six 80-ms blocks with only a turn of the loop between them: ~480 ms, over 4 intervals.
    const first = block(80)
    let last = first
    for (let i = 1; i < 6; i++) {
      await new Promise((resolve) => setImmediate(resolve))
      last = block(80)
    }
    await sleep(600)

    const span = { startMs: first.startMs, endMs: last.endMs }
    const ours = overlapping(stalls, span)
    expect(ours).toHaveLength(1)
    const stall = ours[0] as StallInfo
    expect(stall.startedAtMs).toBeLessThanOrEqual(span.startMs)
    expect(stall.endedAtMs).toBeGreaterThanOrEqual(span.endMs)
    // The longest single block, not the sum.
    expect(stall.durationMs).toBeGreaterThanOrEqual(80 - EVENT_LOOP_RESOLUTION_MS)
    expect(stall.durationMs).toBeLessThan(span.endMs - span.startMs)
  })

  it('reports a stall only to the subscribers whose threshold it reaches, each once', async () => {
    const low: StallInfo[] = []
    const high: StallInfo[] = []
    const other: StallInfo[] = []
    watch((stall) => low.push(stall), FAST)
    watch((stall) => high.push(stall), { checkIntervalMs: 100, stallThresholdMs: 2000 })
    watch((stall) => other.push(stall), { ...FAST, checkIntervalMs: 500 })
    expect(getProcessMonitorStatus().checkIntervalMs).toBe(100)
    await sleep(250)
    const blocked = block()
    await sleep(800)
    expect(overlapping(low, blocked)).toHaveLength(1)
    expect(overlapping(other, blocked)).toHaveLength(1)
    expect(high).toEqual([])
  })

  it('gives the GC pauses seen during a stall to subscribers that asked for them', async () => {
    const withGc: StallInfo[] = []
    const without: StallInfo[] = []
    watch((stall) => withGc.push(stall), { ...FAST, observeGc: true })
    watch((stall) => without.push(stall), FAST)
    expect(getProcessMonitorStatus().isObservingGc).toBe(true)
    await sleep(250)
    const startMs = performance.now()
    // Short-lived garbage (kept in a small ring so V8 cannot optimise it away) makes the young
    // generation collect several times inside the block; a forced full collection too when
    // the test runs with --expose-gc.
    const ring = new Array(1024)
    for (let i = 0; i < 2_000_000; i++) ring[i & 1023] = { i, list: [i] }
    const gc = (globalThis as { gc?: () => void }).gc
    if (typeof gc === 'function') gc()
    busyWait(BLOCK_MS - (performance.now() - startMs))
    const blocked = { startMs, endMs: performance.now() }
    await sleep(600)

    const ours = overlapping(withGc, blocked)
    expect(ours).toHaveLength(1)
    const stall = ours[0] as StallInfo
    expect(stall.gcCount).toBeGreaterThanOrEqual(1)
    expect(stall.gcPauseMs).toBeGreaterThan(0)
    expect(stall.gcPauseMs).toBeLessThanOrEqual(stall.endedAtMs - stall.startedAtMs)
    const plain = overlapping(without, blocked)
    expect(plain).toHaveLength(1)
    expect(plain[0]?.gcPauseMs).toBeNull()
    expect(plain[0]?.gcCount).toBe(0)
  })

  it('keeps reporting to other listeners, and later stalls, when a listener throws', async () => {
    const errors: unknown[] = []
    const good: StallInfo[] = []
    const boom = new Error('listener failed')
    watch(
      () => {
        throw boom
      },
      { ...FAST, onError: (error) => errors.push(error) },
    )
    // Its error handler throws too: swallowed, nothing escapes the timer (vitest would fail the
    // run on an uncaught exception).
    watch(
      () => {
        throw new Error('listener failed')
      },
      {
        ...FAST,
        onError: () => {
          throw new Error('handler failed')
        },
      },
    )
    watch((stall) => good.push(stall), FAST)
    await sleep(250)
    const first = block()
    await sleep(500)
    const second = block()
    await sleep(600)
    expect(overlapping(good, first)).toHaveLength(1)
    expect(overlapping(good, second)).toHaveLength(1)
    expect(errors.length).toBeGreaterThanOrEqual(2)
    expect(errors.every((error) => error === boom)).toBe(true)
  })

  it('starts with the first subscriber, follows the others, and stops with the last', async () => {
    expect(getProcessMonitorStatus().isRunning).toBe(false)
    const stopSlow = watchProcess(() => {}, { checkIntervalMs: 500 })
    expect(getProcessMonitorStatus()).toEqual({
      subscribers: 1,
      isRunning: true,
      isObservingGc: false,
      checkIntervalMs: 500,
    })
    const stopFast = watchProcess(() => {}, { checkIntervalMs: 100, observeGc: true })
    expect(getProcessMonitorStatus()).toEqual({
      subscribers: 2,
      isRunning: true,
      isObservingGc: true,
      checkIntervalMs: 100,
    })
    stopFast()
    stopFast() // a second call does nothing
    expect(getProcessMonitorStatus()).toEqual({
      subscribers: 1,
      isRunning: true,
      isObservingGc: false,
      checkIntervalMs: 500,
    })
    stopSlow()
    expect(getProcessMonitorStatus()).toEqual({
      subscribers: 0,
      isRunning: false,
      isObservingGc: false,
      checkIntervalMs: null,
    })

    // A stall seen but not yet reported when its subscriber leaves is dropped; the monitor
    // starts again, clean, for the next subscriber.
    const dropped: StallInfo[] = []
    const stop = watchProcess((stall) => dropped.push(stall), FAST)
    await sleep(250)
    block()
    // Seen at the check right after the block, reported at the next one, 100 ms later.
    await sleep(30)
    stop()
    await sleep(300)
    expect(dropped).toEqual([])
    const again: StallInfo[] = []
    watch((stall) => again.push(stall), FAST)
    await sleep(500)
    expect(again).toEqual([])
  })

  it('never keeps the process alive: a child that never unsubscribes exits at once', {
    timeout: 30_000,
  }, async () => {
    const { code, ms, lines } = await runChild([child, 'forever'])
    expect(code).toBe(0)
    expect(lines).toEqual([
      { status: { subscribers: 1, isRunning: true, isObservingGc: true, checkIntervalMs: 50 } },
    ])
    expect(ms).toBeLessThan(CHILD_LIMIT_MS)
  })

  it('stops completely after the last unsubscribe, in a child that then exits', {
    timeout: 30_000,
  }, async () => {
    const { code, lines } = await runChild([child, 'unsubscribe'])
    expect(code).toBe(0)
    expect(lines).toHaveLength(2)
    expect(lines[0]?.stall?.durationMs).toBeGreaterThanOrEqual(BLOCK_MS - EVENT_LOOP_RESOLUTION_MS)
    expect(lines[1]).toEqual({
      status: { subscribers: 0, isRunning: false, isObservingGc: false, checkIntervalMs: null },
    })
  })

  it('reports the pause of a forced full collection (node --expose-gc) inside a stall', {
    timeout: 30_000,
  }, async () => {
    const { code, lines } = await runChild(['--expose-gc', child, 'gc'])
    expect(code).toBe(0)
    const stall = lines[0]?.stall as StallInfo
    expect(stall.durationMs).toBeGreaterThanOrEqual(BLOCK_MS - EVENT_LOOP_RESOLUTION_MS)
    expect(stall.gcCount).toBeGreaterThanOrEqual(1)
    expect(stall.gcPauseMs).toBeGreaterThan(0)
  })

  it('rejects a listener that is not a function and invalid options, starting nothing', () => {
    const listener = () => {}
    const cases: Array<[unknown, unknown, string]> = [
      ['not a function', {}, ERROR_CODES.invalidArgument],
      [listener, null, ERROR_CODES.invalidOption],
      [listener, { stallThresholdMs: 10 }, ERROR_CODES.invalidOption],
      [listener, { stallThresholdMs: Number.NaN }, ERROR_CODES.invalidOption],
      [listener, { checkIntervalMs: 0 }, ERROR_CODES.invalidOption],
      [listener, { checkIntervalMs: 1e9 }, ERROR_CODES.invalidOption],
      [listener, { observeGc: 'yes' }, ERROR_CODES.invalidOption],
      [listener, { onError: 5 }, ERROR_CODES.invalidOption],
      [listener, { stallThreshold: 100 }, ERROR_CODES.invalidOption],
    ]
    for (const [onStall, options, code] of cases) {
      expect(() =>
        watchProcess(onStall as () => void, options as ProcessMonitorOptions),
      ).toThrowError(expect.objectContaining({ code }))
    }
    expect(getProcessMonitorStatus().subscribers).toBe(0)
  })
})
