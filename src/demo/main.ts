// npm run demo: a decorated service under simulated traffic. Baselines are learned and saved to
// baselines/demo.json, a slowdown is injected, perfwatch raises one sustained-degradation alert
// (and at most one slow-call line per 10 s), then reports the recovery. Run it twice: the second
// run restores the baselines and checks calls against them from the first one.
import { pino } from 'pino'
import pretty from 'pino-pretty'
import { formatLatency, formatPercent, getPerformanceTracker } from '../index.js'
import { CheckoutService } from './service.js'

const storagePath = 'baselines/demo.json'
const HOLD_MS = 2000
const tracker = getPerformanceTracker({
  storagePath,
  baselineSamples: 100,
  recoveryHoldMs: HOLD_MS,
  logger: pino(
    { name: 'perfwatch' },
    pretty({
      colorize: process.stdout.isTTY,
      ignore: 'pid,hostname',
      singleLine: true,
      sync: true,
    }),
  ),
})
tracker.on('degradation', (event) =>
  console.log(
    `   → event for programs: ${event.operation} degraded (${event.rule}, ${event.severity})`,
  ),
)
tracker.on('recovery', (event) =>
  console.log(`   → event for programs: ${event.operation} recovered`),
)
const service = new CheckoutService()

/** `checkouts` checkouts by 10 clients, each starting its next one when its last is done. */
async function traffic(checkouts: number): Promise<void> {
  let next = 0
  const client = async () => {
    while (next < checkouts) await service.checkout(next++)
  }
  await Promise.all(Array.from({ length: 10 }, client))
}

const restored = tracker
  .getSystemSummary()
  .trackedOperations.filter((name) => tracker.getOperationStats(name)?.state === 'ok')

if (restored.length > 0) {
  console.log(`\nRestored ${restored.length} baselines from ${storagePath}: ${restored.join(', ')}`)
  console.log('Calls are checked against them from the first one; skipping the learning phase.\n')
} else {
  console.log('\n1. Learning: normal traffic until every baseline is mature')
  console.log(
    '   (first baseline after 100 calls; mature and frozen after 1000 calls spread over 5 s or more)\n',
  )
  const names = ['db.findOrder', 'CheckoutService.priceCart', 'payments.charge']
  const learnUntil = Date.now() + 30_000
  do await traffic(200)
  while (names.some((name) => tracker.getOperationState(name) !== 'ok') && Date.now() < learnUntil)
  await tracker.flush()
  console.log(`\nBaselines saved to ${storagePath}. Run the demo again to see them restored.\n`)
}

console.log('2. Injecting a slowdown: the database becomes 4x slower for 80 checkouts\n')
service.databaseSlowdown = 4
await traffic(80)
service.databaseSlowdown = 1

console.log(
  `\n3. The database is back to normal: checkouts until db.findOrder has stayed healthy for ${HOLD_MS / 1000} s`,
)
console.log(
  '   (recoveryHoldMs; the default is 10 s: a slowdown that returns within it is the same episode)\n',
)
const deadline = Date.now() + 30_000
do await traffic(200)
while (tracker.getOperationState('db.findOrder') !== 'ok' && Date.now() < deadline)
await tracker.close() // writes the slow-call counts still held back

console.log('\n4. getOperationStats for every operation\n')
const summary = tracker.getSystemSummary()
const rows = summary.trackedOperations.map((name) => {
  const s = tracker.getOperationStats(name)
  return {
    operation: name,
    state: s?.state,
    samples: s?.sampleCount,
    'recent p50': s?.recentP50 == null ? '-' : formatLatency(s.recentP50),
    'recent p95': s?.recentP95 == null ? '-' : formatLatency(s.recentP95),
    'baseline p50': s?.baseline ? formatLatency(s.baseline.p50) : '-',
    'baseline p95': s?.baseline ? formatLatency(s.baseline.p95) : '-',
    'slow calls': s?.degradedCount,
    'error rate': s?.errorRate == null ? '-' : formatPercent(s.errorRate),
  }
})
console.table(rows)
console.log(
  `getSystemSummary(): ${summary.totalSamples} samples, ${summary.slowSamples} slow, ` +
    `degraded now: ${summary.currentlyDegraded.join(', ') || 'none'}`,
)
