// Detection benchmark: stalls, false alarms on healthy traffic, delay from onset to alert,
// recovery and log volume, through the public API of the built package with seeded draws and an
// injected clock that moves like calls arriving at a given rate (the detector groups samples by
// their end time). Writes docs/results/detection.{json,md}. Scale with BENCH_SCALE (default 1).
//
// BENCH_BEFORE=/path/to/an/older/checkout (built, with its own test/bench/sim.mjs) runs the stall
// model against that code too, for the "before" rows; without it those rows are carried over from
// the previous docs/results/detection.json.

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { writeResult } from './report.mjs'
import { DISTRIBUTIONS, makeRandom, poissonSteps, SCENARIOS, silentTracker } from './sim.mjs'

const scale = Number(process.env.BENCH_SCALE ?? 1)
const BASELINES = Math.max(1, Math.round(20 * scale)) // per distribution
const HEALTHY_SAMPLES = 1_000_000 // per baseline
const TRIALS = Math.max(10, Math.round(300 * scale))
const CAP = 100_000 // samples after onset before a trial counts as missed (also for recovery)
const LEARN = 1000 // default baselineSamples 100 matures at detectionSamples 1000
const WARMUP = 2000 // healthy samples between maturity and onset
const PERSIST = 5000 // degraded samples after the alert, watching for clears
const RATE = 1000 // calls per second of the false-alarm runs and the main delay table
const OTHER_RATES = [100, 5000] // more delay rows for log-normal σ=0.5
const HOLD_MS = 10_000 // the default recoveryHoldMs, which these trackers keep
// Stall model: a mature baseline, then STALLS stalls per rate and distribution, each after
// STALL_EVERY healthy samples.
const STALL_RATES = [100, 1000, 5000]
const STALLS = Math.max(10, Math.round(100 * scale))
const STALL_MATURE = 3000
const STALL_EVERY = 5000
const STALL_SPACINGS_MS = [0.2, 0.5, 1] // how far apart the late calls finish (at most 1000/rate)
const BEFORE_LABEL = 'previous detector (per-sample evidence)'

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

const ascending = (a, b) => a - b

function falseAlarms(dist, seed) {
  const random = makeRandom(seed)
  let alerts = 0
  let checked = 0
  let flagged = 0
  for (let b = 0; b < BASELINES; b++) {
    const { tracker, advance } = silentTracker({ warningIntervalMs: 0 })
    const step = poissonSteps(advance, random, RATE)
    for (let i = 0; i < LEARN; i++) {
      step()
      tracker.record('op', dist.draw(random))
    }
    const before = tracker.getOperationStats('op')
    if (before.state !== 'ok') throw new Error(`baseline did not mature: ${before.state}`)
    // Events are delivered after the current call stack; a loop polls the O(1) state instead.
    let state = 'ok'
    for (let i = 0; i < HEALTHY_SAMPLES; i++) {
      step()
      tracker.record('op', dist.draw(random))
      const now = tracker.getOperationState('op')
      if (now !== state) {
        if (now === 'degraded') alerts++
        state = now
      }
    }
    const stats = tracker.getOperationStats('op')
    const newlyChecked = stats.totalCount - before.totalCount
    checked += newlyChecked
    flagged += stats.degradedCount - before.degradedCount
  }
  return { samples: BASELINES * HEALTHY_SAMPLES, alerts, perSampleFlagRate: flagged / checked }
}

/**
 * Trials of one degradation at `rate` calls/s: delay from onset to alert in samples and in ms of
 * the injected clock (from the end of the last healthy call), clears and alerts during the
 * degraded stretch, and (withRecovery) the time to recover once it ends, hold included.
 */
function delays(dist, scenario, rate, seed, withRecovery) {
  const random = makeRandom(seed)
  const delay = []
  const delayMs = []
  const recovery = []
  const recoveryMs = []
  let clearsWhileDegraded = 0
  let alertsWhileDegraded = 0
  let alarmsBeforeOnset = 0
  let refusedBeforeOnset = 0
  const rules = { shift: 0, tail: 0, errors: 0 }
  for (let k = 0; k < TRIALS; k++) {
    const { tracker, advance, now } = silentTracker({ warningIntervalMs: 0 })
    const step = poissonSteps(advance, random, rate)
    let raised = 0
    let cleared = 0
    let state = 'learning'
    const record = (value) => {
      step()
      tracker.record('op', value)
      const current = tracker.getOperationState('op')
      if (current === state) return
      if (current === 'degraded') raised++
      else if (state === 'degraded') cleared++
      state = current
    }
    for (let i = 0; i < LEARN + WARMUP; i++) record(dist.draw(random))
    if (raised > 0 || state !== 'ok') {
      // A false alarm on the healthy samples before the onset (a rare baseline far from its
      // distribution): counted and reported, and the trial is left out of the delays.
      // Or no baseline yet: the maturing guard refused healthy samples (4 standard deviations,
      // a few in 10^5 maturings), also counted and left out.
      if (raised === 0) refusedBeforeOnset++
      else alarmsBeforeOnset++
      continue
    }
    const onsetMs = now()
    let i = 0
    while (raised === 0 && i < CAP) {
      record(scenario.slow(dist.draw(random), random))
      i++
    }
    if (raised === 0) {
      delay.push(Number.POSITIVE_INFINITY)
      delayMs.push(Number.POSITIVE_INFINITY)
      continue
    }
    delay.push(i)
    delayMs.push(now() - onsetMs)
    rules[tracker.getOperationStats('op').detector.rule]++
    for (let j = 0; j < PERSIST; j++) record(scenario.slow(dist.draw(random), random))
    clearsWhileDegraded += cleared
    alertsWhileDegraded += raised - 1
    if (!withRecovery || cleared > 0) continue
    const endedMs = now()
    let c = 0
    while (cleared === 0 && c < CAP) {
      record(dist.draw(random))
      c++
    }
    recovery.push(cleared > 0 ? c : Number.POSITIVE_INFINITY)
    recoveryMs.push(cleared > 0 ? now() - endedMs : Number.POSITIVE_INFINITY)
  }
  for (const list of [delay, delayMs, recovery, recoveryMs]) list.sort(ascending)
  const detected = delay.filter(Number.isFinite).length
  const summary = {
    scenario: scenario.key,
    rate,
    trials: delay.length,
    alarmsBeforeOnset,
    refusedBeforeOnset,
    medianDelay: percentile(delay, 0.5),
    p95Delay: percentile(delay, 0.95),
    medianDelayMs: percentile(delayMs, 0.5),
    p95DelayMs: percentile(delayMs, 0.95),
    detectedShare: detected / delay.length,
    rules,
    clearsWhileDegradedPerEpisode: detected > 0 ? clearsWhileDegraded / detected : null,
    extraAlertsPerEpisode: detected > 0 ? alertsWhileDegraded / detected : null,
  }
  if (withRecovery) {
    summary.medianRecovery = recovery.length > 0 ? percentile(recovery, 0.5) : null
    summary.p95Recovery = recovery.length > 0 ? percentile(recovery, 0.95) : null
    summary.medianRecoveryMs = recoveryMs.length > 0 ? percentile(recoveryMs, 0.5) : null
  }
  return summary
}

/**
 * The stall model: calls at `rate` per second (exponential gaps), a mature baseline, then STALLS
 * stalls, each after STALL_EVERY healthy samples: the clock jumps by D ∈ U[15, 100] ms, then
 * k ∈ U[20, 100] consecutive calls each take D ms longer and finish min(1000/rate, spacingMs) ms
 * apart (the backlog draining right after the stall). Counts transitions to `degraded`. The draws
 * do not depend on the detector, so the same seed gives the same traffic to any tracker.
 */
function stallRun(makeTracker, options, dist, d, rate, spacingMs) {
  const random = makeRandom(500 + 7 * d + rate)
  const { tracker, advance } = makeTracker({ warningIntervalMs: 0, ...options })
  const step = poissonSteps(advance, random, rate)
  const lateGapMs = Math.min(1000 / rate, spacingMs)
  let state = 'learning'
  let raised = 0
  const record = (value) => {
    tracker.record('op', value)
    const current = tracker.getOperationState('op')
    if (current !== state) {
      if (current === 'degraded') raised++
      state = current
    }
  }
  const healthy = (n) => {
    for (let i = 0; i < n; i++) {
      step()
      record(dist.draw(random))
    }
  }
  healthy(STALL_MATURE)
  if (state !== 'ok') throw new Error(`baseline did not mature: ${state}`)
  for (let s = 0; s < STALLS; s++) {
    healthy(STALL_EVERY)
    const stallMs = 15 + 85 * random.uniform()
    const late = Math.round(20 + 80 * random.uniform())
    advance(stallMs)
    for (let i = 0; i < late; i++) {
      advance(lateGapMs)
      record(dist.draw(random) + stallMs)
    }
  }
  healthy(STALL_EVERY)
  return { stalls: STALLS, raised }
}

/** The stall model at every rate and spacing, on every distribution, with one tracker factory. */
function stallTable(makeTracker, options = {}) {
  const table = {}
  for (const spacingMs of STALL_SPACINGS_MS) {
    const byRate = {}
    for (const rate of STALL_RATES) {
      const cell = { stalls: 0, raised: 0, byDistribution: {} }
      DISTRIBUTIONS.forEach((dist, d) => {
        const run = stallRun(makeTracker, options, dist, d, rate, spacingMs)
        cell.byDistribution[dist.key] = run.raised
        cell.stalls += run.stalls
        cell.raised += run.raised
      })
      byRate[rate] = cell
    }
    table[spacingMs] = byRate
  }
  return table
}

/** The "before" stall rows: measured against BENCH_BEFORE, else carried over from the last run. */
async function stallsBefore() {
  const dir = process.env.BENCH_BEFORE
  if (dir) {
    const sim = await import(pathToFileURL(join(dir, 'test/bench/sim.mjs')).href)
    let commit = 'unknown'
    try {
      commit = execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
        encoding: 'utf8',
      }).trim()
    } catch {}
    return {
      label: BEFORE_LABEL,
      commit,
      measured: new Date().toISOString(),
      table: stallTable(sim.silentTracker),
    }
  }
  const previous = new URL('../../docs/results/detection.json', import.meta.url)
  if (!existsSync(previous)) return null
  const before = JSON.parse(readFileSync(previous, 'utf8')).stalls?.before
  return before ? { ...before, carriedOver: true } : null
}

async function logVolume() {
  // One hour of healthy traffic at 1000 calls/s (1 ms apart on the injected clock), a 2x incident
  // of 60 s, then healthy traffic until the recovery; count the lines an operator would read.
  const dist = DISTRIBUTIONS[0]
  const random = makeRandom(77)
  const { tracker, lines, advance } = silentTracker()
  const settle = () => new Promise((resolve) => setImmediate(resolve)) // reports run after the call
  const hour = 3_600_000
  for (let i = 0; i < hour; i++) {
    advance(1)
    tracker.record('db.query', dist.draw(random))
  }
  await settle()
  const healthy = { ...lines }
  for (let i = 0; i < 60_000; i++) {
    advance(1)
    tracker.record('db.query', 2 * dist.draw(random))
  }
  await settle()
  const afterIncident = { ...lines }
  const incidentState = tracker.getOperationState('db.query')
  const stats = tracker.getOperationStats('db.query')
  let recoveryMs = 0
  while (tracker.getOperationState('db.query') === 'degraded' && recoveryMs < 600_000) {
    advance(1)
    tracker.record('db.query', dist.draw(random))
    recoveryMs++
  }
  await settle()
  const delta = (from, to) => ({
    warn: to.warn - from.warn,
    error: to.error - from.error,
    info: to.info - from.info,
    perSample: to.perSample - from.perSample,
  })
  return {
    healthyHour: { samples: hour, perSampleLines: healthy.perSample, flagged: stats.degradedCount },
    incident2x60s: { samples: 60_000, ...delta(healthy, afterIncident), state: incidentState },
    recovery: {
      ms: recoveryMs,
      ...delta(afterIncident, lines),
      state: tracker.getOperationState('db.query'),
    },
  }
}

const started = Date.now()
const result = {
  rateCallsPerSecond: RATE,
  recoveryHoldMs: HOLD_MS,
  stalls: null,
  falseAlarms: {},
  delays: {},
  delaysByRate: {},
  logVolume: null,
}
result.stalls = {
  stallsPerDistribution: STALLS,
  rates: STALL_RATES,
  spacingsMs: STALL_SPACINGS_MS,
  after: stallTable(silentTracker),
  // recoveryHoldMs 0: every stall that drives a chart to its limit is a degradation of its own
  // (the charts drain to 0 long before the next stall; the charts do not depend on the hold).
  afterWithoutHold: stallTable(silentTracker, { recoveryHoldMs: 0 }),
  before: await stallsBefore(),
}
console.log(`stalls done after ${((Date.now() - started) / 1000).toFixed(0)} s`)
DISTRIBUTIONS.forEach((dist, d) => {
  result.delays[dist.key] = {}
  SCENARIOS.forEach((scenario, s) => {
    result.delays[dist.key][scenario.key] = delays(
      dist,
      scenario,
      RATE,
      9000 + 17 * d + s,
      scenario.key === '2x',
    )
  })
})
{
  const dist = DISTRIBUTIONS[0]
  for (const rate of OTHER_RATES) {
    result.delaysByRate[rate] = {}
    SCENARIOS.forEach((scenario, s) => {
      result.delaysByRate[rate][scenario.key] = delays(
        dist,
        scenario,
        rate,
        9000 + rate + s,
        scenario.key === '2x',
      )
    })
  }
}
console.log(`delays done after ${((Date.now() - started) / 1000).toFixed(0)} s`)
DISTRIBUTIONS.forEach((dist, d) => {
  result.falseAlarms[dist.key] = falseAlarms(dist, 1000 + d)
})
result.logVolume = await logVolume()
result.seconds = (Date.now() - started) / 1000

const count = (n) => n.toLocaleString('en-US')
const show = (v) => (v === null ? '-' : Number.isFinite(v) ? count(v) : `>${count(CAP)}`)
const showMs = (v) => {
  if (v === null || v === undefined) return '-'
  if (!Number.isFinite(v)) return 'never'
  if (v < 10) return `${v.toFixed(1)} ms`
  if (v < 1000) return `${Math.round(v)} ms`
  return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`
}
const delayCell = (r) => {
  const missed = r.detectedShare < 1 ? `, ${(100 * (1 - r.detectedShare)).toFixed(0)}% missed` : ''
  return `${show(r.medianDelay)} (${show(r.p95Delay)}${missed}) · ${showMs(r.medianDelayMs)}`
}
const recoveryCell = (r) => `${show(r.medianRecovery)} · ${showMs(r.medianRecoveryMs)}`
const rateName = (rate) => `${count(rate)} calls/s`

const md = []
{
  const st = result.stalls
  const stallsPerRate = STALLS * DISTRIBUTIONS.length
  md.push(
    '### Stalls: calls that finish together',
    '',
    `A GC pause or a blocked event loop delays every call in flight, and they all finish at once: the previous detector counted each of them as evidence. The model: calls at a given rate (exponential gaps on the injected clock), a baseline matured on ${count(STALL_MATURE)} healthy samples, then ${count(STALLS)} stalls per distribution and rate (${count(stallsPerRate)} per rate over the five distributions), each after ${count(STALL_EVERY)} healthy samples: the clock jumps by D ∈ U[15, 100] ms, then k ∈ U[20, 100] consecutive calls each take D ms longer and finish min(1000/rate, spacing) ms apart, the backlog draining right after the stall (so at 5,000 calls/s every row has them 0.2 ms apart, and at 1,000 calls/s at most 1 ms). A cell counts the degradations raised (transitions to \`degraded\`) over its ${count(stallsPerRate)} stalls. For this detector, in parentheses when different: the stalls that drove a chart to its limit, counted by the same run with \`recoveryHoldMs: 0\` (each such stall is then a degradation of its own); with the default ${HOLD_MS / 1000}-s hold, a stall that comes back to the limit within the hold continues the open degradation instead of raising a new one (the stalls are ${count(STALL_EVERY)} samples apart: 5 s at 1,000 calls/s, 1 s at 5,000). Target: 0 at 0.2 ms apart.`,
    '',
    `| detector | late calls finish | ${STALL_RATES.map(rateName).join(' | ')} | all |`,
    `| --- | --- | ${STALL_RATES.map(() => '---').join(' | ')} | --- |`,
  )
  const rows = (label, table, withoutHold) => {
    for (const spacingMs of STALL_SPACINGS_MS) {
      const byRate = table[spacingMs]
      if (byRate === undefined) continue
      let raised = 0
      let atLimit = 0
      let stalls = 0
      const cell = (n, m) => (m === undefined || m === n ? count(n) : `${count(n)} (${count(m)})`)
      const cells = STALL_RATES.map((rate) => {
        const limit = withoutHold?.[spacingMs][rate].raised
        raised += byRate[rate].raised
        atLimit += limit ?? byRate[rate].raised
        stalls += byRate[rate].stalls
        return cell(byRate[rate].raised, limit)
      })
      md.push(
        `| ${label} | ${spacingMs} ms apart | ${cells.join(' | ')} | **${cell(raised, atLimit)}** of ${count(stalls)} |`,
      )
    }
  }
  rows(
    `this detector (20-ms slices), ${HOLD_MS / 1000}-s hold (no hold)`,
    st.after,
    st.afterWithoutHold,
  )
  if (st.before) {
    const how = st.before.carriedOver
      ? `measured ${st.before.measured.slice(0, 10)}, carried over from the previous run`
      : 'measured in this run'
    rows(`${st.before.label}, ${st.before.commit}`, st.before.table)
    md.push(
      '',
      `The "${st.before.label}" rows ran the same model, with the same seeds (the same traffic), against the code before the time-aware detector (commit ${st.before.commit}, ${how}; \`BENCH_BEFORE=<a built checkout>\` measures them again). It does not look at time, so the spacing does not change its counts.`,
    )
  } else {
    md.push('', '_Previous detector not measured: set `BENCH_BEFORE` to a built checkout of it._')
  }
  md.push('')
}
md.push(
  '### False alarms on healthy traffic',
  '',
  `${BASELINES} baselines per distribution, each learned from that distribution (100 samples, matured at 1,000), then ${count(HEALTHY_SAMPLES)} healthy samples each, at ${count(RATE)} calls/s (exponential gaps on the injected clock).`,
  '',
  '| distribution | healthy samples | degradation alerts | alerts per 10⁶ | per-sample rule flags |',
  '| --- | --- | --- | --- | --- |',
)
let totalSamples = 0
let totalAlerts = 0
for (const dist of DISTRIBUTIONS) {
  const fa = result.falseAlarms[dist.key]
  totalSamples += fa.samples
  totalAlerts += fa.alerts
  md.push(
    `| ${dist.name} | ${fa.samples.toExponential(1)} | ${fa.alerts} | ${((fa.alerts / fa.samples) * 1e6).toFixed(3)} | ${(100 * fa.perSampleFlagRate).toFixed(2)}% |`,
  )
}
md.push(
  `| **all** | ${totalSamples.toExponential(1)} | **${totalAlerts}** | ${((totalAlerts / totalSamples) * 1e6).toFixed(4)} | |`,
  '',
)
md.push(
  `### Delay from onset to alert, and recovery, at ${count(RATE)} calls/s`,
  '',
  `${TRIALS} trials per cell, calls at ${count(RATE)} per second (exponential gaps on the injected clock): a baseline matured on 1,000 samples, 2,000 healthy samples, then the degradation until the alert (missed after ${count(CAP)}), ${count(PERSIST)} more degraded samples (hysteresis), then, after 2x, healthy samples until the recovery. Delays: median (p95) in samples · median in ms of the clock from the end of the last healthy call. Recovery: median samples · ms after the slowdown ends, which includes the ${HOLD_MS / 1000}-s recovery hold (\`recoveryHoldMs\`: the charts must drain to 0, then stay below their limits that long).`,
  '',
  `| distribution | ${SCENARIOS.map((s) => s.key).join(' | ')} | clears during the ${count(PERSIST)} degraded samples, per episode: 1.5x, 2x, 5x / 1.2x, tail | recovery after 2x |`,
  `| --- | ${SCENARIOS.map(() => '---').join(' | ')} | --- | --- |`,
)
for (const dist of DISTRIBUTIONS) {
  const row = result.delays[dist.key]
  const clears = (keys) =>
    keys.map((k) => (row[k].clearsWhileDegradedPerEpisode ?? 0).toFixed(2)).join(', ')
  md.push(
    `| ${dist.name} | ${SCENARIOS.map((s) => delayCell(row[s.key])).join(' | ')} | ${clears(['1.5x', '2x', '5x'])} / ${clears(['1.2x', 'tail 5% x10'])} | ${recoveryCell(row['2x'])} |`,
  )
}
{
  const rates = [...OTHER_RATES, RATE].sort(ascending)
  md.push(
    '',
    `Log-normal σ=0.5 at other call rates (same method; ${TRIALS} trials per cell):`,
    '',
    `| calls/s | ${SCENARIOS.map((s) => s.key).join(' | ')} | recovery after 2x |`,
    `| --- | ${SCENARIOS.map(() => '---').join(' | ')} | --- |`,
  )
  for (const rate of rates) {
    const row = rate === RATE ? result.delays[DISTRIBUTIONS[0].key] : result.delaysByRate[rate]
    md.push(
      `| ${count(rate)} | ${SCENARIOS.map((s) => delayCell(row[s.key])).join(' | ')} | ${recoveryCell(row['2x'])} |`,
    )
  }
  const main = result.delays[DISTRIBUTIONS[0].key]
  const check = (ok) => (ok ? 'met' : '**not met**')
  md.push(
    '',
    `Targets at ${count(RATE)} calls/s on log-normal σ=0.5 (medians): 2x ≤ 60 samples: ${show(main['2x'].medianDelay)}, ${check(main['2x'].medianDelay <= 60)}; 1.5x ≤ 150: ${show(main['1.5x'].medianDelay)}, ${check(main['1.5x'].medianDelay <= 150)}; tail-only ≤ 600: ${show(main['tail 5% x10'].medianDelay)}, ${check(main['tail 5% x10'].medianDelay <= 600)}; 2x under 1 s: ${showMs(main['2x'].medianDelayMs)}, ${check(main['2x'].medianDelayMs < 1000)}.`,
  )
}
{
  const cells = [
    ...DISTRIBUTIONS.flatMap((dist) => Object.values(result.delays[dist.key])),
    ...OTHER_RATES.flatMap((rate) => Object.values(result.delaysByRate[rate])),
  ]
  const refused = cells.reduce((sum, r) => sum + (r.refusedBeforeOnset ?? 0), 0)
  const trials = cells.reduce((sum, r) => sum + r.trials + r.alarmsBeforeOnset, 0) + refused
  const alarms = cells.reduce((sum, r) => sum + r.alarmsBeforeOnset, 0)
  const where = cells
    .filter((r) => r.alarmsBeforeOnset > 0)
    .map((r) => {
      const dist = DISTRIBUTIONS.find((d) => Object.values(result.delays[d.key]).includes(r))
      return `${dist?.name ?? 'log-normal σ=0.5'}, ${r.scenario}, ${count(r.rate)} calls/s: ${r.alarmsBeforeOnset}`
    })
  result.alarmsBeforeOnset = { trials, healthySamples: trials * WARMUP, alarms, refused }
  md.push(
    '',
    `False alarms before the onset: ${alarms} of the ${count(trials)} trials above raised a degradation during the ${count(WARMUP)} healthy samples after their baseline matured (${(trials * WARMUP).toExponential(1)} healthy samples, a fresh baseline per trial)${alarms > 0 ? `, left out of the delays (${where.join('; ')})` : ''}. Maturity refused by the guard on healthy samples (the trial left out): ${refused}.`,
  )
}
const lv = result.logVolume
md.push(
  '',
  '### Log volume',
  '',
  `- One hour of healthy traffic at 1,000 calls/s on one operation (log-normal σ=0.5): ${count(lv.healthyHour.flagged)} samples flagged by the per-sample rule, **${lv.healthyHour.perSampleLines}** slow-call log lines (limit: one per 10 s for the whole tracker, 360 an hour).`,
  `- A 2x slowdown for 60 s (60,000 calls): ${lv.incident2x60s.warn} warn and ${lv.incident2x60s.error} error lines, of which ${lv.incident2x60s.perSample} slow-call lines; state at the end: ${lv.incident2x60s.state}.`,
  `- Healthy traffic again: recovered after ${showMs(lv.recovery.ms)} (the charts drain, then the ${HOLD_MS / 1000}-s hold), ${lv.recovery.info} info line, ${lv.recovery.warn} warn lines (${lv.recovery.perSample} slow-call lines); state: ${lv.recovery.state}.`,
  '',
  `Run time: ${result.seconds.toFixed(0)} s.`,
)
writeResult('detection', result, md.join('\n'))
