// The cost of the process stall monitor (src/process-monitor.ts), on the built package:
//   1. idle: CPU time of a process doing nothing for IDLE_MS, without the monitor, with it at
//      its defaults, with a 100-ms check interval, with observeGc, and with bare histograms at
//      three resolutions; each in its own process, all at once (they are idle), ROUNDS times;
//   2. busy: CPU time of a workload of many short event-loop turns, rounds alternating without
//      and with the monitor in one process;
//   3. GC: CPU time per forced minor collection, rounds alternating observeGc off and on.
// `node --expose-gc test/bench/process-monitor.bench.mjs [idle] [busy] [gc]` after
// `npm run build`; prints medians and ranges.
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'

const dist = process.env.PERFWATCH_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { watchProcess } = await import(join(dist, 'process-monitor.js'))
const IDLE_MS = Number(process.env.IDLE_MS ?? 10_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const BUSY_ROUNDS = Number(process.env.BUSY_ROUNDS ?? 10)
const self = new URL(import.meta.url).pathname

// Monitor options, or { resolution } for a bare event-loop delay histogram (what the wake-ups
// alone cost).
const IDLE_MODES = {
  none: null,
  defaults: {},
  'checkIntervalMs 100': { checkIntervalMs: 100 },
  observeGc: { observeGc: true },
  'histogram 10 ms': { resolution: 10 },
  'histogram 20 ms': { resolution: 20 },
  'histogram 50 ms': { resolution: 50 },
}

const cpuMs = (since) => {
  const usage = process.cpuUsage(since)
  return (usage.user + usage.system) / 1000
}
const turn = () => new Promise((resolve) => setImmediate(resolve))
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}
const range = (values) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`

if (process.argv[2] === 'child-idle') {
  // A child: idle for IDLE_MS with the monitor configured as asked, prints its CPU time.
  const options = IDLE_MODES[process.argv[3]]
  let stop = () => {}
  if (options?.resolution !== undefined) {
    const histogram = monitorEventLoopDelay({ resolution: options.resolution })
    histogram.enable()
    stop = () => histogram.disable()
  } else if (options !== null) {
    stop = watchProcess(() => {}, options)
  }
  const start = process.cpuUsage()
  setTimeout(() => {
    const used = cpuMs(start)
    stop()
    process.stdout.write(JSON.stringify({ cpuMs: used }))
  }, IDLE_MS)
} else {
  const parts = process.argv.slice(2)
  if (parts.length === 0 || parts.includes('idle')) await idle()
  if (parts.length === 0 || parts.includes('busy')) await busy()
  if (parts.length === 0 || parts.includes('gc')) await gc()
}

async function idle() {
  const results = Object.fromEntries(Object.keys(IDLE_MODES).map((mode) => [mode, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const runs = Object.keys(IDLE_MODES).map(
      (mode) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [self, 'child-idle', mode], { stdio: 'pipe' })
          let out = ''
          child.stdout.on('data', (chunk) => {
            out += chunk
          })
          child.on('error', reject)
          child.on('exit', () => resolve([mode, JSON.parse(out).cpuMs]))
        }),
    )
    for (const [mode, used] of await Promise.all(runs)) results[mode].push(used)
  }
  console.log(`idle for ${IDLE_MS} ms, CPU ms per second (median, range of ${ROUNDS}):`)
  const none = median(results.none)
  for (const [mode, values] of Object.entries(results)) {
    const perSecond = values.map((value) => (value * 1000) / IDLE_MS)
    const extra = ((median(values) - none) * 1000) / IDLE_MS
    console.log(
      `  ${mode.padEnd(20)} ${median(perSecond).toFixed(3)} (${range(perSecond)})` +
        (mode === 'none' ? '' : `, +${extra.toFixed(3)} ms/s = ${(extra / 10).toFixed(4)} % CPU`),
    )
  }
}

// Many short turns: 20 small JSON round trips, then a setImmediate, 20,000 times.
async function workload() {
  let sink = 0
  const start = process.cpuUsage()
  for (let i = 0; i < 20_000; i++) {
    for (let j = 0; j < 20; j++) sink += JSON.parse(JSON.stringify({ i, j, s: 'x' })).i
    await turn()
  }
  if (sink < 0) throw new Error('unreachable')
  return cpuMs(start)
}

async function busy() {
  await workload() // warm-up
  const off = []
  const on = []
  for (let round = 0; round < BUSY_ROUNDS; round++) {
    off.push(await workload())
    const stop = watchProcess(() => {})
    on.push(await workload())
    stop()
  }
  const ratios = on.map((value, i) => value / off[i])
  console.log(
    `busy (${BUSY_ROUNDS} alternating rounds of 20,000 turns): CPU ms without ${median(off).toFixed(0)} ` +
      `(${range(off)}), with the monitor ${median(on).toFixed(0)} (${range(on)}); ` +
      `ratio per round, median ${median(ratios).toFixed(4)} (${range(ratios)})`,
  )
}

// observeGc: CPU per collection, from rounds of 2,000 forced minor collections (the cheapest
// kind, so the observer's share shows), alternating observeGc off and on while the monitor runs.
// Needs --expose-gc.
async function gc() {
  if (typeof globalThis.gc !== 'function') {
    console.log('GC: skipped, run with node --expose-gc')
    return
  }
  const collections = 2000
  const collect = async () => {
    const start = process.cpuUsage()
    for (let i = 0; i < collections; i++) {
      globalThis.gc({ type: 'minor' })
      if (i % 20 === 0) await turn() // let the observer's callbacks run, as they would
    }
    await turn()
    return cpuMs(start)
  }
  const stop = watchProcess(() => {})
  await collect() // warm-up
  const extraUs = []
  const offUs = []
  for (let round = 0; round < 2 * BUSY_ROUNDS; round++) {
    const off = await collect()
    const stopGc = watchProcess(() => {}, { observeGc: true })
    const on = await collect()
    stopGc()
    offUs.push((off * 1000) / collections)
    extraUs.push(((on - off) * 1000) / collections)
  }
  stop()
  console.log(
    `GC (${2 * BUSY_ROUNDS} alternating rounds of ${collections} forced minor collections): ` +
      `a collection costs ${median(offUs).toFixed(0)} µs of CPU (${range(offUs)}); observeGc adds ` +
      `${median(extraUs).toFixed(0)} µs median (${range(extraUs)})`,
  )
}
