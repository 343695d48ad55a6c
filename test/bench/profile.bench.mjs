// The profiler's cost. Three parts, in one process (node --expose-gc):
// 1. Disabled: a 1 ms busy-wait called bare, through trackStage (persist: false, tracker: false)
//    with `profile: false`, with a disabled Profiler, and through a disabled profileStage; the
//    cases take turns by blocks of 20 calls, so a noisy spell hits them alike. Target: a disabled
//    profiler adds under 1 % to the bare 1 ms call.
// 2. Enabled, per level: the bare call against trackStage with an enabled Profiler of that level,
//    taking turns the same way, one level at a time (a level's probes, such as the CPU profile,
//    slow the whole process while they run).
// 3. Allocation per call of a trivial function: heapUsed after minus before CALLS calls (after a
//    gc(), no GC in between), median of ROUNDS rounds taken in turns, bytes per call: a disabled profiler must add
//    nothing to trackStage, and profileStage disabled nothing to a bare call.
// `PERFWATCH_DIST` points at another build. Writes docs/results/profile.{json,md}.
import { join } from 'node:path'
import { writeResult } from './report.mjs'
import { busyWait, silentLogger as silent } from './sim.mjs'

const dist = process.env.PERFWATCH_DIST ?? new URL('../../dist/', import.meta.url).pathname
const { Profiler, StageTracker } = await import(join(dist, 'index.js'))
const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
const ALLOC_ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30)
const BLOCK = 20
const gc = globalThis.gc ?? (() => {})
let sink = 0

const oneMs = () => busyWait(1)
const trivial = () => 1

const stagesWith = (profile) =>
  new StageTracker({ persist: false, tracker: false, logger: silent, profile })
let serial = 0
const item = () => `item-${serial++ % 5000}`

/** Median and p95 of `samples` (ms), in µs. */
function summary(samples) {
  const sorted = Float64Array.from(samples).sort()
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] * 1000
  return { medianUs: at(0.5), p95Us: at(0.95) }
}

/** Runs the cases taking turns by BLOCK calls until each has CALLS samples; ms per call. */
function interleave(cases) {
  const samples = Object.fromEntries(cases.map((c) => [c.id, []]))
  for (let done = 0; done < CALLS; done += BLOCK) {
    for (const c of cases) {
      for (let k = 0; k < BLOCK; k++) {
        const start = performance.now()
        sink += c.run()
        samples[c.id].push(performance.now() - start)
      }
    }
  }
  return Object.fromEntries(cases.map((c) => [c.id, summary(samples[c.id])]))
}

// ---- 1. disabled -------------------------------------------------------------------------------

const off = stagesWith(false)
const disabledProfiler = new Profiler({ enabled: false, logger: silent })
const withDisabled = stagesWith(disabledProfiler)
const disabled = interleave([
  { id: 'bare', run: oneMs },
  { id: 'noProfiler', run: () => off.trackStage('r', item(), 'work', oneMs) },
  { id: 'disabled', run: () => withDisabled.trackStage('r', item(), 'work', oneMs) },
  { id: 'profileStageOff', run: () => disabledProfiler.profileStage('work', oneMs) },
])

// ---- 2. enabled, one level at a time --------------------------------------------------------------

const enabled = {}
for (const detail of ['basic', 'detailed', 'full']) {
  const profiler = new Profiler({ enabled: true, detail, logger: silent })
  const stages = stagesWith(profiler)
  profiler.start()
  enabled[detail] = interleave([
    { id: 'bare', run: oneMs },
    { id: 'noProfiler', run: () => off.trackStage('r', item(), 'work', oneMs) },
    { id: 'enabled', run: () => stages.trackStage('r', item(), 'work', oneMs) },
  ])
  profiler.report()
  profiler.stop()
}

// ---- 3. allocation -----------------------------------------------------------------------------

const ids = Array.from({ length: CALLS }, (_, i) => `alloc-${i}`)
/** Bytes per call of each case, median over rounds; the cases take turns round by round. */
function bytesPerCall(cases) {
  const rounds = Object.fromEntries(Object.keys(cases).map((id) => [id, []]))
  for (let r = 0; r < ALLOC_ROUNDS; r++) {
    for (const [id, run] of Object.entries(cases)) {
      gc()
      const before = process.memoryUsage().heapUsed
      for (let i = 0; i < CALLS; i++) sink += run(ids[i])
      rounds[id].push((process.memoryUsage().heapUsed - before) / CALLS)
    }
  }
  return Object.fromEntries(
    Object.entries(rounds).map(([id, list]) => {
      list.sort((a, b) => a - b)
      return [id, list[Math.floor(list.length / 2)]]
    }),
  )
}
// Two trackers without a profiler give the measurement's own noise (an A/A difference).
const allocOff = stagesWith(false)
const allocOffAgain = stagesWith(false)
const allocDisabled = stagesWith(new Profiler({ enabled: false, logger: silent }))
const allocation = bytesPerCall({
  bare: () => trivial(),
  profileStageOff: () => disabledProfiler.profileStage('work', trivial),
  noProfiler: (id) => allocOff.trackStage('alloc', id, 'work', trivial),
  disabled: (id) => allocDisabled.trackStage('alloc', id, 'work', trivial),
  noProfilerAgain: (id) => allocOffAgain.trackStage('alloc', id, 'work', trivial),
})

// ---- report ------------------------------------------------------------------------------------

const pct = (x, floor) => `${(((x - floor) / floor) * 100).toFixed(2)} %`
const ratio = (x, floor) => (x / floor).toFixed(4)
const row = (label, s, floor) =>
  `| ${label} | ${s.medianUs.toFixed(1)} | ${s.p95Us.toFixed(1)} | ${ratio(s.medianUs, floor.medianUs)} | ${pct(s.medianUs, floor.medianUs)} |`
const lines = [
  `A 1 ms busy-wait, ${CALLS} calls per case, the cases taking turns by ${BLOCK} calls; µs per call; ratio and added share at the median against the bare call of the same table.`,
  '',
  '**Profiling off**',
  '',
  '| case | median µs | p95 µs | ratio to bare | added |',
  '| --- | --- | --- | --- | --- |',
  row('bare call', disabled.bare, disabled.bare),
  row('trackStage, no profiler (`profile: false`)', disabled.noProfiler, disabled.bare),
  row('trackStage, disabled Profiler', disabled.disabled, disabled.bare),
  row('profileStage, disabled Profiler', disabled.profileStageOff, disabled.bare),
  '',
  `The disabled profiler's own check: ${(disabled.disabled.medianUs - disabled.noProfiler.medianUs).toFixed(2)} µs at the median (trackStage with a disabled Profiler minus trackStage without one; noise is of the same order).`,
  '',
  '**Profiling on**, each level alone (its probes running):',
  '',
  '| level | bare median µs | trackStage, no profiler, median µs | trackStage, profiled, median µs | p95 µs | ratio to bare | added by the profiler (vs no profiler) |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...Object.entries(enabled).map(
    ([level, s]) =>
      `| ${level} | ${s.bare.medianUs.toFixed(1)} | ${s.noProfiler.medianUs.toFixed(1)} | ${s.enabled.medianUs.toFixed(1)} | ${s.enabled.p95Us.toFixed(1)} | ${ratio(s.enabled.medianUs, s.bare.medianUs)} | ${(s.enabled.medianUs - s.noProfiler.medianUs).toFixed(1)} µs (${pct(s.enabled.medianUs, s.noProfiler.medianUs)}) |`,
  ),
  '',
  `**Allocation**, a trivial function, ${CALLS} calls, heapUsed after minus before (no GC in between), median of ${ALLOC_ROUNDS} rounds (the cases taking turns), bytes per call:`,
  '',
  '| case | bytes per call |',
  '| --- | --- |',
  `| bare call | ${allocation.bare.toFixed(1)} |`,
  `| profileStage, disabled Profiler | ${allocation.profileStageOff.toFixed(1)} |`,
  `| trackStage, no profiler | ${allocation.noProfiler.toFixed(1)} |`,
  `| trackStage, disabled Profiler | ${allocation.disabled.toFixed(1)} |`,
  `| trackStage, no profiler, a second tracker (A/A) | ${allocation.noProfilerAgain.toFixed(1)} |`,
  '',
  `profileStage with a disabled profiler allocates ${(allocation.profileStageOff - allocation.bare).toFixed(1)} bytes per call more than a bare call. trackStage with a disabled Profiler: ${(allocation.disabled - allocation.noProfiler).toFixed(1)} bytes per call against trackStage without one, where two identical trackers without one differ by ${(allocation.noProfilerAgain - allocation.noProfiler).toFixed(1)} (the stage's own ~900 bytes, its context and metric, kept in memory with persist: false, vary from round to round): no difference the measurement can see. The disabled path reads one boolean and stores \`undefined\` in a field the context already has.`,
]
if (sink === 0) throw new Error('dead code')
writeResult('profile', { disabled, enabled, allocation, calls: CALLS }, lines.join('\n'))
