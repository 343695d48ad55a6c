// Detection benchmark: false alarms on healthy traffic, delay from onset to alert, recovery and
// log volume, through the public API of the built package with seeded draws and an injected
// clock. Writes docs/results/detection.{json,md}. Scale with BENCH_SCALE (default 1).

import { writeResult } from './report.mjs'
import { DISTRIBUTIONS, makeRandom, SCENARIOS, silentTracker } from './sim.mjs'

const scale = Number(process.env.BENCH_SCALE ?? 1)
const BASELINES = Math.max(1, Math.round(20 * scale)) // per distribution
const HEALTHY_SAMPLES = 1_000_000 // per baseline
const TRIALS = Math.max(10, Math.round(300 * scale))
const CAP = 100_000 // samples after onset before a trial counts as missed
const LEARN = 1000 // default baselineSamples 100 matures at detectionSamples 1000
const WARMUP = 2000 // healthy samples between maturity and onset
const PERSIST = 5000 // degraded samples after the alert, watching for clears

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

function falseAlarms(dist, seed) {
  const random = makeRandom(seed)
  let alerts = 0
  let checked = 0
  let flagged = 0
  for (let b = 0; b < BASELINES; b++) {
    const { tracker } = silentTracker({ warningIntervalMs: 0 })
    for (let i = 0; i < LEARN; i++) tracker.record('op', dist.draw(random))
    const before = tracker.getOperationStats('op')
    if (before.state !== 'ok') throw new Error(`baseline did not mature: ${before.state}`)
    // Events are delivered after the current call stack; a loop polls the O(1) state instead.
    let state = 'ok'
    for (let i = 0; i < HEALTHY_SAMPLES; i++) {
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

function delays(dist, scenario, seed) {
  const random = makeRandom(seed)
  const delay = []
  const recovery = []
  let clearsWhileDegraded = 0
  let alertsWhileDegraded = 0
  const rules = { shift: 0, tail: 0, errors: 0 }
  for (let k = 0; k < TRIALS; k++) {
    const { tracker } = silentTracker({ warningIntervalMs: 0 })
    let raised = 0
    let cleared = 0
    let state = 'learning'
    const record = (value) => {
      tracker.record('op', value)
      const now = tracker.getOperationState('op')
      if (now === state) return
      if (now === 'degraded') raised++
      else if (state === 'degraded') cleared++
      state = now
    }
    for (let i = 0; i < LEARN + WARMUP; i++) record(dist.draw(random))
    if (raised > 0) throw new Error('false alarm before onset')
    let i = 0
    while (raised === 0 && i < CAP) {
      record(scenario.slow(dist.draw(random), random))
      i++
    }
    if (raised === 0) {
      delay.push(Number.POSITIVE_INFINITY)
      continue
    }
    delay.push(i)
    rules[tracker.getOperationStats('op').detector.rule]++
    for (let j = 0; j < PERSIST; j++) record(scenario.slow(dist.draw(random), random))
    clearsWhileDegraded += cleared
    alertsWhileDegraded += raised - 1
    if (cleared > 0) continue
    let c = 0
    while (cleared === 0 && c < CAP) {
      record(dist.draw(random))
      c++
    }
    recovery.push(cleared > 0 ? c : Number.POSITIVE_INFINITY)
  }
  delay.sort((a, b) => a - b)
  recovery.sort((a, b) => a - b)
  const detected = delay.filter(Number.isFinite).length
  return {
    trials: TRIALS,
    medianDelay: percentile(delay, 0.5),
    p95Delay: percentile(delay, 0.95),
    detectedShare: detected / TRIALS,
    rules,
    clearsWhileDegradedPerEpisode: detected > 0 ? clearsWhileDegraded / detected : null,
    extraAlertsPerEpisode: detected > 0 ? alertsWhileDegraded / detected : null,
    medianRecovery: recovery.length > 0 ? percentile(recovery, 0.5) : null,
  }
}

async function logVolume() {
  // One hour of healthy traffic at 1000 calls/s (1 ms apart on the injected clock), then a 2x
  // incident of 60 s and recovery; count the lines an operator would read.
  const dist = DISTRIBUTIONS[0]
  const random = makeRandom(77)
  const { tracker, lines, advance } = silentTracker()
  const hour = 3_600_000
  for (let i = 0; i < hour; i++) {
    advance(1)
    tracker.record('db.query', dist.draw(random))
  }
  const healthy = { ...lines }
  for (let i = 0; i < 60_000; i++) {
    advance(1)
    tracker.record('db.query', 2 * dist.draw(random))
  }
  await new Promise((resolve) => setImmediate(resolve)) // transition reports run after the call
  const incident = {
    warn: lines.warn - healthy.warn,
    error: lines.error - healthy.error,
    perSample: lines.perSample - healthy.perSample,
  }
  const stats = tracker.getOperationStats('db.query')
  return {
    healthyHour: { samples: hour, perSampleLines: healthy.perSample, flagged: stats.degradedCount },
    incident2x60s: { samples: 60_000, ...incident, state: stats.state },
  }
}

const started = Date.now()
const result = { falseAlarms: {}, delays: {}, logVolume: null }
DISTRIBUTIONS.forEach((dist, d) => {
  result.falseAlarms[dist.key] = falseAlarms(dist, 1000 + d)
  result.delays[dist.key] = {}
  SCENARIOS.forEach((scenario, s) => {
    result.delays[dist.key][scenario.key] = delays(dist, scenario, 9000 + 17 * d + s)
  })
})
result.logVolume = await logVolume()
result.seconds = (Date.now() - started) / 1000

const show = (v) =>
  v === null ? '-' : Number.isFinite(v) ? String(v) : `>${CAP.toLocaleString('en-US')}`
const md = []
md.push(
  `### False alarms on healthy traffic`,
  '',
  `${BASELINES} baselines per distribution, each learned from that distribution (100 samples, matured at 1,000), then ${HEALTHY_SAMPLES.toLocaleString('en-US')} healthy samples each.`,
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
  `### Delay from onset to alert, and recovery`,
  '',
  `${TRIALS} trials per cell: a baseline matured on 1,000 samples, 2,000 healthy samples, then the degradation until the alert (missed after ${CAP.toLocaleString('en-US')}), ${PERSIST.toLocaleString('en-US')} more degraded samples (hysteresis), then healthy samples until the recovery. Delays in samples: median (p95).`,
  '',
  `| distribution | ${SCENARIOS.map((s) => s.key).join(' | ')} | clears during the ${PERSIST.toLocaleString('en-US')} degraded samples, per episode: 1.5x, 2x, 5x / 1.2x, tail | median samples to recover after 2x |`,
  `| --- | ${SCENARIOS.map(() => '---').join(' | ')} | --- | --- |`,
)
for (const dist of DISTRIBUTIONS) {
  const cells = SCENARIOS.map((s) => {
    const r = result.delays[dist.key][s.key]
    const missed =
      r.detectedShare < 1 ? `, ${(100 * (1 - r.detectedShare)).toFixed(0)}% missed` : ''
    return `${show(r.medianDelay)} (${show(r.p95Delay)}${missed})`
  })
  const clears = (keys) =>
    keys
      .map((k) => (result.delays[dist.key][k].clearsWhileDegradedPerEpisode ?? 0).toFixed(2))
      .join(', ')
  md.push(
    `| ${dist.name} | ${cells.join(' | ')} | ${clears(['1.5x', '2x', '5x'])} / ${clears(['1.2x', 'tail 5% x10'])} | ${show(result.delays[dist.key]['2x'].medianRecovery)} |`,
  )
}
const lv = result.logVolume
md.push(
  '',
  '### Log volume',
  '',
  `- One hour of healthy traffic at 1,000 calls/s on one operation (log-normal σ=0.5): ${lv.healthyHour.flagged.toLocaleString('en-US')} samples flagged by the per-sample rule, **${lv.healthyHour.perSampleLines}** per-sample log lines (limit: one per 10 s, 360 an hour).`,
  `- A 2x slowdown for 60 s (60,000 calls): ${lv.incident2x60s.warn} warn and ${lv.incident2x60s.error} error lines, of which ${lv.incident2x60s.perSample} per-sample lines; state at the end: ${lv.incident2x60s.state}.`,
  '',
  `Run time: ${result.seconds.toFixed(0)} s.`,
)
writeResult('detection', result, md.join('\n'))
