// npm run demo:http: an Express shop on 127.0.0.1 with perfwatch's middleware, history store and
// dashboard, under traffic from its own clients: a slow reports route, a product route served
// mostly from a cache, orders that sometimes fail, and a search that gets three times slower
// halfway through, which perfwatch reports as a sustained degradation. Then the history's view of
// it, and the dashboard's address: the server keeps running until Ctrl-C (`--exit` stops it
// after the traffic, as the test does). Latencies come from a seeded PRNG.
import type { Server } from 'node:http'
import express from 'express'
import { pino } from 'pino'
import pretty from 'pino-pretty'
import { formatLatency, formatPercent, PerformanceTracker } from '../index.js'
import { perfwatchDashboard, perfwatchExpress } from '../integrations/express.js'
import { HistoryStore } from '../storage/history-store.js'
import { logNormal, seededRandom } from './random.js'

const exitAfterTraffic = process.argv.includes('--exit')
const port = Number(process.env.PORT ?? 0)
const CLIENTS = 8
const PHASE_LIMIT_MS = 30_000

const random = seededRandom(20261207)
const latency = (medianMs: number, spread = 0.25) => logNormal(random, medianMs, spread)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const logger = pino(
  { name: 'perfwatch' },
  pretty({ colorize: process.stdout.isTTY, ignore: 'pid,hostname', singleLine: true, sync: true }),
)
const tracker = new PerformanceTracker({
  storagePath: null,
  baselineSamples: 100,
  recoveryHoldMs: 2000,
  logger,
})
const history = new HistoryStore({ path: 'baselines/demo-history.db', tracker, logger })
let searchSlowdown = 1
tracker.on('degradation', (event) =>
  console.log(
    `   → degradation: ${event.operation} (${event.rule}, ${event.severity}), ` +
      `p50 ${formatLatency(event.recentP50 ?? 0)} against ${formatLatency(event.baselineP50)}`,
  ),
)
tracker.on('recovery', (event) => console.log(`   → recovery: ${event.operation}`))

const app = express()
app.use(perfwatchExpress({ tracker, history }))
app.use(perfwatchDashboard({ tracker, history }))
app.get('/products/:id', async (_req, res) => {
  const cached = random() < 0.8
  await sleep(cached ? latency(1) : latency(8))
  res.set('x-cache', cached ? 'HIT' : 'MISS').json({ ok: true })
})
app.get('/search', async (_req, res) => {
  await sleep(latency(12) * searchSlowdown)
  res.json({ results: [] })
})
app.get('/reports/:id', async (_req, res) => {
  await sleep(latency(180, 0.4))
  res.json({ report: 'ready' })
})
app.post('/orders', async (_req, res) => {
  await sleep(latency(25))
  if (random() < 0.05) res.status(503).json({ error: 'payment provider unavailable' })
  else res.status(201).json({ ok: true })
})

const server: Server = await new Promise((resolve) => {
  const listening = app.listen(port, '127.0.0.1', () => resolve(listening))
})
const address = server.address()
const base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}`

/** Each client requests a random route, then the next, until `done()` says so. */
async function traffic(done: () => boolean): Promise<number> {
  let requests = 0
  const client = async () => {
    while (!done()) {
      const pick = random()
      const [method, path] =
        pick < 0.4
          ? ['GET', `/products/${Math.floor(random() * 1000)}`]
          : pick < 0.75
            ? ['GET', '/search']
            : pick < 0.8
              ? ['GET', `/reports/${Math.floor(random() * 50)}`]
              : ['POST', '/orders']
      await fetch(base + path, { method }).then((res) => res.arrayBuffer())
      requests++
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, client))
  return requests
}

const until = (condition: () => boolean) => {
  const limit = Date.now() + PHASE_LIMIT_MS
  return () => condition() || Date.now() > limit
}
const searchState = () => tracker.getOperationState('GET /search')

console.log(`\nAn Express shop on ${base}, with perfwatch's middleware, history and dashboard.`)
console.log('\n1. Normal traffic until the routes have baselines')
let sent = await traffic(until(() => searchState() === 'ok'))
console.log(`   ${sent} requests; GET /search is ${searchState()}`)

console.log('\n2. GET /search gets three times slower')
searchSlowdown = 3
sent = await traffic(until(() => searchState() === 'degraded'))
console.log(`   ${sent} requests; GET /search is ${searchState()}`)

console.log('\n3. Back to normal')
searchSlowdown = 1
sent = await traffic(until(() => searchState() === 'ok'))
console.log(`   ${sent} requests; GET /search is ${searchState()}`)

history.flush()
const overview = history.overview({ days: 1 })
const health = history.healthScore({ days: 1 }).health
console.log('\nWhat the history store says about the last day:')
console.log(
  `   ${overview.requests} requests on ${overview.routes} routes, average ` +
    `${formatLatency(overview.averageMs ?? 0)}, P95 ${formatLatency(overview.p95Ms ?? 0)}, ` +
    `cache hits ${formatPercent(overview.cacheHitRate ?? 0)}, errors ${formatPercent(overview.errorRate ?? 0)}`,
)
if (health !== null) console.log(`   health ${health.score.toFixed(1)}, grade ${health.grade}`)
console.log('   slowest routes by P95:')
for (const route of history.slowestRoutes(4, { days: 1 })) {
  console.log(
    `     ${route.route.padEnd(20)} ${formatLatency(route.p95Ms).padStart(9)}  ${route.severity}`,
  )
}
console.log(`\nDashboard: ${base}/perfwatch/`)

const stop = () => {
  server.close()
  server.closeAllConnections()
  history.close()
}
if (exitAfterTraffic) stop()
else {
  console.log('(Ctrl-C to stop)')
  process.once('SIGINT', stop)
}
