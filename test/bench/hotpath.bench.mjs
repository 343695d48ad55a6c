// Hot-path benchmark: ROUNDS fresh processes of hotpath-round.mjs (all cases interleaved in
// each); per case the median of the round medians and the spread of the round medians; ratios
// are computed within each round (against the floors and peers measured in that same process)
// and their median across rounds is reported. Writes docs/results/hotpath.{json,md}.
import { execFileSync } from 'node:child_process'
import { writeResult } from './report.mjs'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const script = new URL('./hotpath-round.mjs', import.meta.url).pathname

const rounds = []
for (let r = 0; r < ROUNDS; r++) {
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8' })
  rounds.push(JSON.parse(out.trim().split('\n').at(-1)).cases)
  process.stderr.write(`round ${r + 1}/${ROUNDS}\n`)
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const ids = Object.keys(rounds[0])
const cases = Object.fromEntries(
  ids.map((id) => {
    const ns = rounds.map((round) => round[id].ns)
    return [
      id,
      { group: rounds[0][id].group, ns: median(ns), min: Math.min(...ns), max: Math.max(...ns) },
    ]
  }),
)
/** Median over rounds of a / b, each from one round. */
const ratio = (a, b) => median(rounds.map((round) => round[a].ns / round[b].ns))
const ratioSpread = (a, b) => {
  const xs = rounds.map((round) => round[a].ns / round[b].ns)
  return [Math.min(...xs), Math.max(...xs)]
}

const targets = [
  ['wrap', 'naiveWrap', 1.1, 'wrapped sync call vs the naive wrapper'],
  ['decoratedLegacy', 'naiveWrap', 1.1, 'decorated method (legacy) vs the naive wrapper'],
  ['decoratedStandard', 'naiveWrap', 1.1, 'decorated method (standard) vs the naive wrapper'],
  ['wrap', 'promTimer', 0.35, 'wrapped sync call vs prom-client Histogram startTimer + end'],
  ['decoratedStandard', 'promTimer', 0.35, 'decorated method vs prom-client startTimer + end'],
  ['wrap', 'otelTimed', 0.2, 'wrapped sync call vs OpenTelemetry hand-timed record with attribute'],
  ['decoratedStandard', 'otelTimed', 0.2, 'decorated method vs OpenTelemetry hand-timed record'],
  ['record', 'naiveRecord', 2, 'record(name, v) vs the naive ring record'],
  [
    'disabledLegacy',
    'emptyNoInline',
    1.5,
    'enabled: false decorated call (legacy) vs a not-inlined empty call',
  ],
  [
    'disabledStandard',
    'emptyNoInline',
    1.5,
    'enabled: false decorated call (standard) vs a not-inlined empty call',
  ],
].map(([a, b, limit, label]) => {
  const value = ratio(a, b)
  return {
    case: a,
    against: b,
    label,
    limit,
    ratio: value,
    spread: ratioSpread(a, b),
    holds: value <= limit,
  }
})

const LABELS = {
  empty: 'empty call (inlined)',
  emptyNoInline: 'empty call V8 cannot inline',
  now1: 'one performance.now()',
  now2: 'two performance.now() (the floor of timing a call)',
  hrtimeBigint2: 'two process.hrtime.bigint()',
  naiveRecord: 'naive: Map + Float64Array ring record',
  naiveRecord1000: 'naive record, 1000 operations round-robin',
  naiveWrap: 'naive wrapper timing an empty call',
  record: 'record(name, v), baseline established',
  recordNoBaseline: 'record(name, v), learning (no baseline)',
  record1000: 'record(name, v), 1000 operations round-robin',
  startEnd: 'startOperation + endOperation around an empty call',
  startEndNoBaseline: 'startOperation + endOperation, learning',
  wrap: 'wrap(name, fn)() sync, baseline established',
  wrapNoBaseline: 'wrap(name, fn)() sync, learning',
  decoratedLegacy: '@timeOperation method, legacy decorators',
  decoratedStandard: '@timeOperation method, standard decorators',
  decoratedLegacyNoBaseline: '@timeOperation legacy, learning',
  decoratedStandardNoBaseline: '@timeOperation standard, learning',
  undecorated: 'the same method, undecorated',
  disabledLegacy: '@timeOperation legacy, enabled: false',
  disabledStandard: '@timeOperation standard, enabled: false',
  disabledWrap: 'wrap(), enabled: false',
  promTimer: 'prom-client Histogram startTimer + end',
  promObserve: 'prom-client Histogram observe',
  promSummary: 'prom-client Summary observe',
  otelTimed: 'OpenTelemetry: two performance.now() + histogram.record(ms, { operation })',
  perfHooksRecord: 'perf_hooks createHistogram().record',
  perfHooksTimerify: 'perf_hooks timerify(fn, { histogram })',
  hdrRecord: 'hdr-histogram-js recordValue',
  asyncPlain: 'await of an async function (plain)',
  asyncWrapped: 'await of the same function, wrapped',
  asyncWrappedNoBaseline: 'await of the same function, wrapped, learning',
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2))
const md = [
  `${ROUNDS} rounds, each a fresh process running every case interleaved (batches of thousands of calls, one clock read per batch). ns per call: median of the round medians (min–max of the round medians); ratios are taken within each round, median over rounds.`,
  '',
  '### Targets',
  '',
  '| target | ratio (min–max) | limit | holds |',
  '| --- | --- | --- | --- |',
  ...targets.map(
    (t) =>
      `| ${t.label} | ${t.ratio.toFixed(2)} (${t.spread[0].toFixed(2)}–${t.spread[1].toFixed(2)}) | ≤ ${t.limit} | ${t.holds ? 'yes' : '**no**'} |`,
  ),
  '',
  '### All cases',
  '',
  '| case | group | ns per call | vs two clock reads | vs naive wrapper |',
  '| --- | --- | --- | --- | --- |',
  ...ids.map((id) => {
    const c = cases[id]
    return `| ${LABELS[id] ?? id} | ${c.group} | ${fmt(c.ns)} (${fmt(c.min)}–${fmt(c.max)}) | ${ratio(id, 'now2').toFixed(2)} | ${ratio(id, 'naiveWrap').toFixed(2)} |`
  }),
]
writeResult('hotpath', { rounds: ROUNDS, cases, targets }, md.join('\n'))
