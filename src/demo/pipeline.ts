// npm run demo:pipeline: 50 e-mails through four stages (parsing, extraction by a simulated LLM,
// enrichment from a simulated CRM, output), five at a time, timed by a StageTracker. The LLM
// client wrapper counts its calls and tokens through currentStage(), without the stage's ctx; a
// few extractions fail with a rate limit and the pipeline goes on. Then the run's summary, its
// analysis against budgets, and its CSV. Latencies come from a seeded PRNG, so every run prints
// the same shape (the figures move with the event loop's timers).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  currentStage,
  formatLatency,
  formatPercent,
  type Logger,
  PerformanceTracker,
  type StageContext,
  StageTracker,
} from '../index.js'
import { logNormal, seededRandom } from './random.js'

const ITEMS = 50
const CONCURRENCY = 5
const STAGES = ['parsing', 'extraction', 'enrichment', 'output'] as const
/** Items whose extraction the simulated LLM refuses with a rate limit. */
const RATE_LIMITED = new Set([12, 29, 41])
/** Characters of an e-mail per LLM call (about 1,000 tokens). */
const CHUNK_CHARS = 4000

const random = seededRandom(20251104)
const latency = (medianMs: number, spread: number) =>
  Math.min(logNormal(random, medianMs, spread), 40)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

class RateLimitError extends Error {
  override name = 'RateLimitError'
}

interface Email {
  id: string
  index: number
  body: string
  /** Simulated latencies, drawn up front so each item gets the same ones whatever the timing. */
  parsingMs: number
  /** One LLM call per chunk of the body: long e-mails take two. */
  llmMs: number[]
  llmOutputTokens: number
  crmMs: number
  outputMs: number
}

const emails: Email[] = Array.from({ length: ITEMS }, (_, i) => ({
  id: `email-${String(i + 1).padStart(3, '0')}`,
  index: i + 1,
  body: 'Hello, please send 3 more units of part 42 to our Lyon office. '.repeat(
    10 + Math.floor(random() * 60),
  ),
  parsingMs: latency(2, 0.3),
  llmMs: [latency(22, 0.35), latency(22, 0.35)],
  llmOutputTokens: 40 + Math.floor(random() * 80),
  crmMs: latency(8, 0.45),
  outputMs: latency(2, 0.3),
}))

/** A fake LLM client: counts each call, with its tokens and response time, on the current stage. */
const llm = {
  async complete(email: Email, chunk: string, call: number): Promise<string> {
    const startMs = performance.now()
    await sleep(email.llmMs[call] ?? 20)
    const durationMs = performance.now() - startMs
    if (RATE_LIMITED.has(email.index)) {
      currentStage()?.recordApiCall('llm', { durationMs })
      throw new RateLimitError('429 Too Many Requests: quota of 60 requests per minute exceeded')
    }
    currentStage()?.recordApiCall('llm', {
      tokens: { input: Math.ceil(chunk.length / 4), output: email.llmOutputTokens },
      durationMs,
    })
    return '{"customer":"ACME","intent":"order"}'
  },
}

/** The extraction stage's work: one LLM call per chunk of at most CHUNK_CHARS characters. */
async function extractFields(email: Email): Promise<Record<string, string>> {
  const fields: Record<string, string> = {}
  for (let call = 0; call * CHUNK_CHARS < email.body.length; call++) {
    const chunk = email.body.slice(call * CHUNK_CHARS, (call + 1) * CHUNK_CHARS)
    Object.assign(fields, JSON.parse(await llm.complete(email, chunk, call)))
  }
  return fields
}

/** A fake CRM lookup, counted through the stage's ctx (the other way to record a call). */
async function lookUpCustomer(ctx: StageContext, email: Email): Promise<{ tier: string }> {
  const startMs = performance.now()
  await sleep(email.crmMs)
  ctx.recordApiCall('crm', { durationMs: performance.now() - startMs })
  return { tier: 'gold' }
}

/** Prints perfwatch's warnings as one readable line each (pino JSON would flood the output). */
const logger: Logger = {
  info() {},
  warn: (_object, message) => console.log(`  ! ${message}`),
  error: (_object, message) => console.error(`  ! ${message}`),
}
const outputDir = mkdtempSync(join(tmpdir(), 'perfwatch-pipeline-'))
const tracker = new PerformanceTracker({ storagePath: null, logger: { ...logger, warn() {} } })
const stages = new StageTracker({
  outputDir,
  tracker,
  logger, // budget warnings: at most one line per 10 s (warningIntervalMs), so one line here
  thresholds: { extraction: 30, enrichment: 15, total: 50 },
})
const runId = new Date().toISOString().slice(0, 19) // 2025-11-04T14:30:00 (UTC)

async function processEmail(email: Email): Promise<void> {
  await stages.trackStage(runId, email.id, 'parsing', async (ctx) => {
    await sleep(email.parsingMs)
    ctx.addItems(email.body.split('. ').length) // sentences: the summary's itemsProcessed
  })
  let fields: Record<string, string> | null = null
  try {
    fields = await stages.trackStage(runId, email.id, 'extraction', () => extractFields(email))
  } catch (error) {
    if (!(error instanceof RateLimitError)) throw error
    console.log(`  ✗ ${email.id}: extraction failed (${error.name}), sent to manual review`)
  }
  const enriched = await stages.trackStage(runId, email.id, 'enrichment', async (ctx) =>
    fields === null ? null : { ...fields, ...(await lookUpCustomer(ctx, email)) },
  )
  await stages.trackStage(runId, email.id, 'output', async (ctx) => {
    await sleep(email.outputMs)
    ctx.setAttribute('queue', enriched === null ? 'review' : 'orders')
  })
}

console.log(
  `\nperfwatch pipeline demo: ${ITEMS} e-mails through ${STAGES.join(' → ')}, ${CONCURRENCY} at a time`,
)
console.log(`Run ${runId}; metric files under ${outputDir}\n`)
let next = 0
const worker = async () => {
  while (next < emails.length) await processEmail(emails[next++] as Email)
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker))

const summary = stages.getRunSummary(runId)
const itemsPerSecond = summary.itemsPerSecond === null ? '-' : summary.itemsPerSecond.toFixed(1)
console.log('\nSummary (getRunSummary)')
console.log(
  `  ${summary.itemCount} items, ${summary.metricCount} stage metrics, wall time ` +
    `${formatLatency(summary.wallTimeMs)}, ${itemsPerSecond} items/s, ${summary.errorCount} errors`,
)
for (const [service, calls] of Object.entries(summary.totalApiCalls)) {
  const tokens = summary.tokensByService[service] ?? { input: 0, output: 0 }
  const times = summary.apiResponseTimes[service]
  const parts = [`${calls} API calls`]
  if (tokens.input + tokens.output > 0) {
    parts.push(`${tokens.input} input + ${tokens.output} output tokens`)
  }
  if (times !== undefined) {
    parts.push(
      `response average ${formatLatency(times.averageMs)}, p95 ${formatLatency(times.p95Ms)}`,
    )
  }
  console.log(`  ${service}: ${parts.join(', ')}`)
}
const header = ['stage', 'count', 'avg', 'p50', 'p95', 'max', 'success']
const rows = Object.values(summary.stages).map((s) => [
  s.stage,
  String(s.itemCount),
  formatLatency(s.averageMs),
  formatLatency(s.medianMs),
  formatLatency(s.p95Ms),
  formatLatency(s.maxMs),
  formatPercent(s.successRate),
])
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)))
for (const row of [header, ...rows]) {
  // the stage name left-aligned, the figures right-aligned
  console.log(
    `  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}`,
  )
}
const violations = Object.entries(stages.getThresholdViolations())
  .map(([stage, counts]) => `${stage} ${counts.warning + counts.critical}`)
  .join(', ')
console.log(`  budget violations (getThresholdViolations): ${violations || 'none'}`)

const analysis = stages.analyzeRun(runId)
console.log(
  '\nAnalysis (analyzeRun), budgets: extraction 30ms, enrichment 15ms, total 50ms per item',
)
console.log(
  `  ${analysis.summary.itemsOverBudget ?? 0} of ${analysis.summary.items} items over the total budget`,
)
console.log('  Bottlenecks, by impact:')
for (const b of analysis.bottlenecks) {
  const budget = b.budgetMs === null ? 'no budget' : `budget ${formatLatency(b.budgetMs)}`
  console.log(
    `    ${b.stage.padEnd(11)} ${b.reasons.join(' + ')}: impact ${formatLatency(b.impactMs)}, ` +
      `${formatPercent(b.shareOfTotal)} of stage time, p95 ${formatLatency(b.p95Ms)} (${budget})`,
  )
}
console.log('  Recommendations:')
for (const r of analysis.recommendations) console.log(`    [${r.priority}] ${r.message}`)

const csv = stages.exportMetricsCsv(runId, join(outputDir, 'pipeline-metrics.csv'))
console.log(`\nCSV (exportMetricsCsv): ${csv.path}`)
console.log(`  ${csv.rowCount} rows, ${csv.columns.length} columns: ${csv.columns.join(', ')}`)
const operations = STAGES.map((stage) => {
  const stats = tracker.getOperationStats(`stage:${stage}`)
  return `stage:${stage} ${stats?.sampleCount ?? 0}`
})
console.log(`PerformanceTracker operations (samples): ${operations.join(', ')}\n`)
await tracker.close()
