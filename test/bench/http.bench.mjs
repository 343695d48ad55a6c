// Web middleware: requests per second of hello-world apps (Express 5, Express 4, Fastify 5) with
// no monitoring, with perfwatch's middleware from the built package, and with the usual
// prom-client middleware (express-prom-bundle, fastify-metrics), under autocannon.
//
// Each app runs alone in a child process listening on 127.0.0.1 (an ephemeral port), autocannon
// runs in this process: on this 2-core machine the server and the load generator each get a core
// and do not share an event loop. One server at a time. HTTP_ROUNDS (5) rounds; in each round
// every framework's variants run once, each for HTTP_WARMUP_SECONDS (1) of warm-up and then
// HTTP_SECONDS (4) measured, in an order rotated by one every round (the frameworks too), so no
// variant always runs first or after the same one, and the variants compared with each other run
// seconds apart. Reported per variant: the median over rounds of req/s and latency, and the
// median of the per-round ratios to "none" of the same framework (target: perfwatch >= 0.97).
//
// Other settings: HTTP_CONNECTIONS (50), HTTP_PIPELINING (1), HTTP_VARIANTS (comma-separated ids
// such as express5/perfwatch, to run only those), HTTP_CHILD_ARGS (node options for the server
// processes, such as `--cpu-prof --cpu-prof-dir=/tmp/prof`), HTTP_PIN=1 (pin the server to CPU 1
// and this process to CPU 0 with taskset), HTTP_QUIET_WAIT_SECONDS (60: before a framework's
// turn the bench waits while other work keeps the host busy, at most this long in all),
// HTTP_BASELINE_DIST (a dist folder of another build, run beside this one as "perfwatch,
// baseline build": before and after a change, in the same rounds).
//
// Then, since a fresh server process varies by several percent from the one before, each of none
// (the method's own error), the floor (two clock reads a request and nothing else: what any
// monitor that times each request pays), perfwatch and the prom-client middleware runs
// interleaved: one process serves the app with and without the monitoring, switching every
// HTTP_AB_WINDOW_MS (200) under one autocannon run of HTTP_AB_SECONDS (30; 0 skips this part).
// About 13 minutes at the defaults. Only 127.0.0.1 is loaded and every autocannon run has a
// duration. Writes docs/results/http.{json,md}; `--render` rewrites the markdown from the JSON.

import { execFileSync, fork } from 'node:child_process'
import { subscribe } from 'node:diagnostics_channel'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, get } from 'node:http'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { writeResult } from './report.mjs'

const ROUNDS = Number(process.env.HTTP_ROUNDS ?? 5)
const SECONDS = Number(process.env.HTTP_SECONDS ?? 4)
const WARMUP_SECONDS = Number(process.env.HTTP_WARMUP_SECONDS ?? 1)
const CONNECTIONS = Number(process.env.HTTP_CONNECTIONS ?? 50)
const PIPELINING = Number(process.env.HTTP_PIPELINING ?? 1)
const ONLY = process.env.HTTP_VARIANTS?.split(',').filter(Boolean)
const CHILD_ARGS = process.env.HTTP_CHILD_ARGS?.split(' ').filter(Boolean) ?? []
const PIN = process.env.HTTP_PIN === '1'
const QUIET_WAIT_SECONDS = Number(process.env.HTTP_QUIET_WAIT_SECONDS ?? 60)
// Another build of perfwatch (a dist folder) to run beside this one as "perfwatch (baseline
// build)": the code before a change, measured in the same rounds as the code after it.
const BASELINE_DIST = process.env.HTTP_BASELINE_DIST
const AB_SECONDS = Number(process.env.HTTP_AB_SECONDS ?? 30)
const AB_WARMUP_SECONDS = 3
const AB_WINDOW_MS = Number(process.env.HTTP_AB_WINDOW_MS ?? 200)

const TARGET = 0.97
const ROUTE = '/users/:id'
const PATH = '/users/42'
const OPERATION = `GET ${ROUTE}`
const SINK_CLEAR_MS = 1000 // how often the in-bench sink drops what it holds

const FRAMEWORKS = {
  express5: { label: 'Express 5', module: 'express' },
  express4: { label: 'Express 4', module: 'express4' },
  fastify: { label: 'Fastify 5', module: 'fastify' },
}
const MONITORS = {
  none: 'none',
  noop: 'empty middleware (control)',
  perfwatch: 'perfwatch',
  'perfwatch+sink': 'perfwatch + `history` sink (array)',
  'perfwatch+store': 'perfwatch + HistoryStore (SQLite)',
  'perfwatch@baseline': 'perfwatch, baseline build',
  floor: 'two clock reads a request (floor)',
  prom: 'prom-client middleware',
}
const PROM_LABEL = {
  express5: 'express-prom-bundle',
  express4: 'express-prom-bundle',
  fastify: 'fastify-metrics',
}

// ---------------------------------------------------------------------------------------------
// The server, in a child process: `http.bench.mjs --serve <framework> <monitor>`.

async function serve(framework, monitor) {
  const monitoring = await startMonitoring(monitor)
  const server =
    framework === 'fastify'
      ? await startFastify(monitor, monitoring)
      : await startExpress(FRAMEWORKS[framework].module, monitor, monitoring)
  let cpuAtMark = process.cpuUsage()
  let eluAtMark = performance.eventLoopUtilization()
  process.on('message', async (m) => {
    if (m === 'mark') {
      cpuAtMark = process.cpuUsage()
      eluAtMark = performance.eventLoopUtilization()
    } else if (m === 'stop') {
      const cpu = process.cpuUsage(cpuAtMark)
      const elu = performance.eventLoopUtilization(eluAtMark)
      const recorded = await monitoring.recorded()
      await server.close()
      await monitoring.close()
      process.send({
        type: 'stats',
        serverCpuMs: (cpu.user + cpu.system) / 1000,
        eventLoopUtilization: elu.utilization,
        recorded,
      })
      process.disconnect()
    }
  })
  process.send({ type: 'listening', port: server.port })
}

/** What each variant monitors with, and how many requests it saw (a check that it ran). */
async function startMonitoring(monitor) {
  const none = { recorded: async () => null, close: async () => {} }
  if (monitor === 'none' || monitor === 'noop') return none
  if (monitor === 'floor') return startFloor()
  if (monitor === 'prom') {
    const { register } = await import('prom-client')
    return {
      ...none,
      // The requests counted by the middleware's duration histogram.
      recorded: async () => {
        let count = 0
        for (const line of (await register.metrics()).split('\n')) {
          const match = /^http_request_duration_seconds_count\{[^}]*\} (\d+)/.exec(line)
          if (match) count += Number(match[1])
        }
        return count
      },
    }
  }
  const { PerformanceTracker } = await import(distFile(monitor, 'index.js'))
  const { pino } = await import('pino')
  // A real tracker with the defaults, in memory; its warnings go to /dev/null through pino.
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger: pino(pino.destination({ dest: '/dev/null', sync: true })),
  })
  const recordedByTracker = () => tracker.getOperationStats(OPERATION)?.totalCount ?? 0
  if (monitor === 'perfwatch' || monitor === 'perfwatch@baseline') {
    return { tracker, recorded: async () => recordedByTracker(), close: () => tracker.close() }
  }
  if (monitor === 'perfwatch+sink') {
    // The simplest sink: it keeps the records and drops them every second, as a store that
    // batches its writes would.
    let buffer = []
    let total = 0
    const timer = setInterval(() => {
      total += buffer.length
      buffer = []
    }, SINK_CLEAR_MS)
    timer.unref()
    return {
      tracker,
      history: {
        recordRequest(record) {
          buffer.push(record)
        },
      },
      recorded: async () => ({ tracker: recordedByTracker(), sink: total + buffer.length }),
      close: async () => {
        clearInterval(timer)
        await tracker.close()
      },
    }
  }
  if (monitor === 'perfwatch+store') {
    const { HistoryStore } = await import('../../dist/storage/history-store.js')
    const dir = mkdtempSync(join(tmpdir(), 'perfwatch-http-bench-'))
    const history = new HistoryStore({ path: join(dir, 'history.db') })
    return {
      tracker,
      history,
      recorded: async () => {
        history.flush()
        const info = history.storageInfo()
        return {
          tracker: recordedByTracker(),
          store: history.overview({ days: 1 }).requests,
          fileBytes: info.fileBytes,
          dropped: info.dropped,
        }
      },
      close: async () => {
        history.close()
        await tracker.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  throw new Error(`unknown monitor ${monitor}`)
}

/**
 * The least any monitor that times each request does: a clock read where the request starts and
 * one where its response finishes, seen through the same Node channels as perfwatch's, added to
 * one number. No names, no window, no baseline: what is left of perfwatch's cost is what it
 * does beyond timing.
 */
function startFloor() {
  const START = Symbol('floor.start')
  let count = 0
  let totalMs = 0
  subscribe('http.server.request.start', ({ response }) => {
    response[START] = -1
  })
  subscribe('http.server.response.finish', ({ response }) => {
    const start = response[START]
    if (start >= 0) {
      response[START] = -1
      totalMs += performance.now() - start
      count++
    }
  })
  return {
    start(res) {
      res[START] = performance.now()
    },
    recorded: async () => ({ count, meanMs: totalMs / count }),
    close: async () => {},
  }
}

/** A module of the built package: this checkout's dist, or the baseline build's. */
function distFile(monitor, path) {
  return monitor === 'perfwatch@baseline'
    ? pathToFileURL(join(resolve(BASELINE_DIST), path)).href
    : new URL(`../../dist/${path}`, import.meta.url).href
}

function user(id) {
  return { id, name: 'Ada Lovelace', active: true }
}

/**
 * An Express app with the monitor's middleware first; with `isOn`, that middleware is called
 * only while `isOn()` is true (the interleaved measurement), `next()` otherwise.
 */
async function expressApp(moduleName, monitor, monitoring, isOn) {
  const express = (await import(moduleName)).default
  const app = express()
  let middleware = null
  if (monitor === 'prom') {
    const promBundle = (await import('express-prom-bundle')).default
    // The README's usage with the method and the path (ids folded) as labels.
    middleware = promBundle({ includeMethod: true, includePath: true })
  } else if (monitor === 'noop') {
    // What any middleware costs in Express: a layer the router matches and calls.
    middleware = (_req, _res, next) => next()
  } else if (monitor === 'floor') {
    middleware = (_req, res, next) => {
      monitoring.start(res)
      next()
    }
  } else if (monitor !== 'none') {
    const { perfwatchExpress } = await import(distFile(monitor, 'integrations/express.js'))
    middleware = perfwatchExpress({ tracker: monitoring.tracker, history: monitoring.history })
  }
  if (isOn !== undefined) {
    const on = middleware ?? ((_req, _res, next) => next())
    app.use((req, res, next) => (isOn() ? on(req, res, next) : next()))
  } else if (middleware !== null) app.use(middleware)
  app.get(ROUTE, (req, res) => {
    res.json(user(req.params.id))
  })
  return app
}

async function startExpress(moduleName, monitor, monitoring) {
  const app = await expressApp(moduleName, monitor, monitoring)
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  return {
    port: server.address().port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A Fastify app with the monitor registered first; `options` go to `Fastify()`. */
async function fastifyApp(monitor, monitoring, options = {}) {
  const Fastify = (await import('fastify')).default
  const app = Fastify({ logger: false, ...options })
  if (monitor === 'prom') {
    // fastify-metrics with its defaults: a histogram and a summary per route, default metrics.
    await app.register((await import('fastify-metrics')).default, { endpoint: '/metrics' })
  } else if (monitor === 'noop') {
    // What any hooks cost in Fastify: the two perfwatch uses on every request, empty.
    app.addHook('onRequest', (_request, _reply, done) => done())
    app.addHook('onResponse', (_request, _reply, done) => done())
  } else if (monitor === 'floor') {
    app.addHook('onRequest', (_request, reply, done) => {
      monitoring.start(reply.raw)
      done()
    })
  } else if (monitor !== 'none') {
    const { perfwatchFastify } = await import(distFile(monitor, 'integrations/fastify.js'))
    await app.register(perfwatchFastify, {
      tracker: monitoring.tracker,
      history: monitoring.history,
    })
  }
  app.get(ROUTE, async (request) => user(request.params.id))
  return app
}

async function startFastify(monitor, monitoring) {
  const app = await fastifyApp(monitor, monitoring)
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { port: app.server.address().port, close: () => app.close() }
}

// ---------------------------------------------------------------------------------------------
// The interleaved server, in a child process: `http.bench.mjs --serve-interleaved <framework>
// <monitor>`. One process serves the app without monitoring and with it, switching every
// HTTP_AB_WINDOW_MS, and counts each window's requests and CPU time.

async function serveInterleaved(framework, monitor) {
  const monitoring = await startMonitoring(monitor)
  let isOn = false
  let handlers
  if (framework === 'fastify') {
    // Two apps (a second Fastify app measured as fast as the first, A/A 1.00), each given the
    // request by this process's one server rather than listening.
    const handlerOf = async (mon, m) => {
      let handler
      const app = await fastifyApp(mon, m, {
        serverFactory: (h) => {
          handler = h
          return createServer()
        },
      })
      await app.ready()
      return handler
    }
    handlers = [await handlerOf('none', {}), await handlerOf(monitor, monitoring)]
  } else {
    // One app whose first middleware calls the monitor's only while it is on: a second Express
    // app in the process ran 3 to 7 % slower than the first, neither monitored.
    const app = await expressApp(FRAMEWORKS[framework].module, monitor, monitoring, () => isOn)
    handlers = [app, app]
  }
  const served = [0, 0]
  const server = createServer((req, res) => {
    const state = isOn ? 1 : 0
    served[state]++
    handlers[state](req, res)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  let windows = []
  let timer
  let mark = { at: performance.now(), cpu: process.cpuUsage(), served: 0 }
  const switchOver = () => {
    const state = isOn ? 1 : 0
    const cpu = process.cpuUsage(mark.cpu)
    const at = performance.now()
    windows.push({
      on: isOn,
      ms: at - mark.at,
      requests: served[state] - mark.served,
      cpuUs: cpu.user + cpu.system,
    })
    isOn = !isOn
    mark = { at, cpu: process.cpuUsage(), served: served[isOn ? 1 : 0] }
  }
  process.on('message', async (m) => {
    if (m === 'start') timer = setInterval(switchOver, AB_WINDOW_MS)
    else if (m === 'mark') windows = []
    else if (m === 'stop') {
      clearInterval(timer)
      const recorded = await monitoring.recorded()
      server.closeAllConnections()
      server.close()
      await monitoring.close()
      process.send({ type: 'windows', windows, recorded })
      process.disconnect()
    }
  })
  process.send({ type: 'listening', port: server.address().port })
}

// ---------------------------------------------------------------------------------------------
// The load, in this process.

async function isStoreReady() {
  try {
    const { HistoryStore } = await import('../../dist/storage/history-store.js')
    const dir = mkdtempSync(join(tmpdir(), 'perfwatch-http-bench-'))
    try {
      const store = new HistoryStore({ path: join(dir, 'history.db') })
      store.storageInfo() // the skeleton throws here
      store.close()
      return true
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  } catch {
    return false
  }
}

function variantsOf(framework, hasStore) {
  // Express 4 gets the main comparison only, to keep the whole run within a few minutes.
  const monitors =
    framework === 'express4'
      ? ['none', 'perfwatch', ...(BASELINE_DIST ? ['perfwatch@baseline'] : []), 'prom']
      : [
          'none',
          'noop',
          'perfwatch',
          ...(BASELINE_DIST ? ['perfwatch@baseline'] : []),
          'perfwatch+sink',
          ...(hasStore ? ['perfwatch+store'] : []),
          'prom',
        ]
  return monitors
    .map((monitor) => ({ id: `${framework}/${monitor}`, framework, monitor }))
    .filter((v) => ONLY === undefined || ONLY.includes(v.id))
}

/** The round's order: the frameworks and each framework's variants rotated by `round`. */
function orderOf(groups, round) {
  const rotate = (items) => items.map((_, i) => items[(i + round) % items.length])
  return rotate(groups).map((variants) => rotate(variants))
}

/**
 * Before each framework's turn in a round: waits, half a second at a time, while the rest of the
 * host keeps more than NOISY_OTHER_SHARE of a core busy (nothing of ours runs then), for at most
 * HTTP_QUIET_WAIT_SECONDS over the whole benchmark. Returns the ms waited.
 */
async function waitForQuiet(budget) {
  let waitedMs = 0
  while (budget.leftMs > 0) {
    const before = hostCpu()
    await sleep(500)
    const after = hostCpu()
    if (!before || !after || (after.busyMs - before.busyMs) / 500 < NOISY_OTHER_SHARE) break
    budget.leftMs -= 500
    waitedMs += 500
  }
  return waitedMs
}

function startServer(variant, mode = '--serve') {
  const execArgv = [...CHILD_ARGS]
  const args = [mode, variant.framework, variant.monitor]
  const child = PIN
    ? fork(fileURLToPath(import.meta.url), args, {
        execPath: 'taskset',
        execArgv: ['-c', '1', process.execPath, ...execArgv],
      })
    : fork(fileURLToPath(import.meta.url), args, { execArgv })
  const messages = []
  const waiting = []
  child.on('message', (m) => {
    const w = waiting.shift()
    if (w) w.resolve(m)
    else messages.push(m)
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  exited.then((code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`server exited (${code})`))
  })
  const next = () =>
    messages.length > 0
      ? Promise.resolve(messages.shift())
      : new Promise((resolve, reject) => waiting.push({ resolve, reject }))
  return { child, next, exited }
}

/** One GET with a fresh connection: the route answers 200 with the user as JSON. */
function checkResponse(port) {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: PATH, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => {
        const parsed = JSON.parse(body)
        if (res.statusCode !== 200 || parsed.id !== '42') {
          reject(new Error(`unexpected response ${res.statusCode} ${body}`))
        } else resolve(body.length)
      })
    }).once('error', reject)
  })
}

async function load(autocannon, port, seconds) {
  const cpu = process.cpuUsage()
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${PATH}`,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    duration: seconds,
  })
  const used = process.cpuUsage(cpu)
  return {
    requests: result.requests.total,
    seconds: result.duration,
    rps: result.requests.total / result.duration,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyMax: result.latency.max,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    loadgenCpuMs: (used.user + used.system) / 1000,
  }
}

/**
 * CPU time of the whole host so far, ms (Linux /proc/stat, in 10-ms ticks): busy and stolen by
 * the hypervisor. undefined elsewhere.
 */
function hostCpu() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/)
    const [user, nice, system, _idle, _iowait, irq, softirq, steal] = fields.slice(1).map(Number)
    return { busyMs: 10 * (user + nice + system + irq + softirq), stealMs: 10 * steal }
  } catch {
    return undefined
  }
}

/**
 * One server child under load: a warm-up, then the measured run, with the host's CPU time read
 * around it. `start` begins the interleaved child's switching (the other child ignores it).
 */
async function loadServer(autocannon, variant, mode, warmupSeconds, seconds) {
  const server = startServer(variant, mode)
  const { port } = await server.next()
  await checkResponse(port)
  server.child.send('start')
  if (warmupSeconds > 0) await load(autocannon, port, warmupSeconds)
  server.child.send('mark')
  const hostBefore = hostCpu()
  const run = await load(autocannon, port, seconds)
  const hostAfter = hostCpu()
  server.child.send('stop')
  const stats = await server.next()
  await server.exited
  const host =
    hostBefore && hostAfter
      ? {
          busyMs: hostAfter.busyMs - hostBefore.busyMs,
          stealMs: hostAfter.stealMs - hostBefore.stealMs,
        }
      : null
  // Everything else the host ran meanwhile (other processes, interrupts): noise.
  const otherCpuMs = (serverCpuMs) =>
    host === null ? null : host.busyMs - serverCpuMs - run.loadgenCpuMs
  return { run, stats, host, otherCpuMs }
}

async function measure(autocannon, variant) {
  const { run, stats, host, otherCpuMs } = await loadServer(
    autocannon,
    variant,
    '--serve',
    WARMUP_SECONDS,
    SECONDS,
  )
  return {
    ...run,
    serverCpuMs: stats.serverCpuMs,
    serverCpuUsPerRequest: (1000 * stats.serverCpuMs) / run.requests,
    eventLoopUtilization: stats.eventLoopUtilization,
    otherCpuMs: otherCpuMs(stats.serverCpuMs),
    stealMs: host === null ? null : host.stealMs,
    recorded: stats.recorded,
  }
}

/**
 * The interleaved measurement of one variant: its app and the same app without monitoring in
 * one process, switching every AB_WINDOW_MS under one autocannon run.
 */
async function measureInterleaved(autocannon, variant) {
  const { run, stats, otherCpuMs } = await loadServer(
    autocannon,
    variant,
    '--serve-interleaved',
    AB_WARMUP_SECONDS,
    AB_SECONDS,
  )
  const { windows, recorded } = stats
  return {
    windows,
    recorded,
    errors: run.errors + run.timeouts + run.non2xx,
    loadgenCpuMs: run.loadgenCpuMs,
    seconds: run.seconds,
    otherCpuMs: otherCpuMs(windows.reduce((t, w) => t + w.cpuUs / 1000, 0)),
  }
}

function interleavedVariants() {
  return Object.keys(FRAMEWORKS).flatMap((framework) =>
    ['none', 'floor', 'perfwatch', ...(BASELINE_DIST ? ['perfwatch@baseline'] : []), 'prom']
      .map((monitor) => ({ id: `${framework}/${monitor}`, framework, monitor }))
      .filter((v) => ONLY === undefined || ONLY.includes(v.id)),
  )
}

async function versionOf(name) {
  return (await import(`${name}/package.json`, { with: { type: 'json' } })).default.version
}

async function main() {
  if (PIN) execFileSync('taskset', ['-p', '-c', '0', String(process.pid)])
  const autocannon = (await import('autocannon')).default
  const started = performance.now()
  const hasStore = await isStoreReady()
  const groups = Object.keys(FRAMEWORKS)
    .map((framework) => variantsOf(framework, hasStore))
    .filter((variants) => variants.length > 0)
  const settings = {
    rounds: ROUNDS,
    seconds: SECONDS,
    warmupSeconds: WARMUP_SECONDS,
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    childArgs: CHILD_ARGS,
    pinned: PIN,
    hasStore,
    baselineDist: BASELINE_DIST ?? null,
    quietWaitSeconds: QUIET_WAIT_SECONDS,
    interleavedSeconds: AB_SECONDS,
    interleavedWarmupSeconds: AB_WARMUP_SECONDS,
    interleavedWindowMs: AB_WINDOW_MS,
    versions: Object.fromEntries(
      await Promise.all(
        [
          'express',
          'express4',
          'fastify',
          'express-prom-bundle',
          'fastify-metrics',
          'prom-client',
          'autocannon',
        ].map(async (name) => [name, await versionOf(name)]),
      ),
    ),
  }
  const runs = []
  const quietBudget = { leftMs: QUIET_WAIT_SECONDS * 1000 }
  let quietWaitedMs = 0
  for (let round = 0; round < ROUNDS; round++) {
    for (const group of orderOf(groups, round)) {
      quietWaitedMs += await waitForQuiet(quietBudget)
      for (const variant of group) {
        const run = await measure(autocannon, variant)
        runs.push({ round: round + 1, ...variant, ...run, loadAverage: loadavg()[0] })
        console.log(
          `[http ${((performance.now() - started) / 1000).toFixed(0)}s] round ${round + 1}/${ROUNDS} ${variant.id}: ${run.rps.toFixed(0)} req/s, p99 ${run.latencyP99} ms, server CPU ${cpuShare(run.serverCpuMs, run.seconds)} (${run.serverCpuUsPerRequest.toFixed(1)} µs a request), autocannon CPU ${cpuShare(run.loadgenCpuMs, run.seconds)}, other ${run.otherCpuMs === null ? '-' : cpuShare(Math.max(0, run.otherCpuMs), run.seconds)}${run.errors + run.non2xx > 0 ? `, ${run.errors} errors, ${run.non2xx} non-2xx` : ''}`,
        )
      }
    }
  }
  const interleaved = []
  if (AB_SECONDS > 0) {
    for (const variant of interleavedVariants()) {
      quietWaitedMs += await waitForQuiet(quietBudget)
      const run = await measureInterleaved(autocannon, variant)
      const summary = summarizeInterleaved(run)
      interleaved.push({ ...variant, ...run, summary })
      console.log(
        `[http ${((performance.now() - started) / 1000).toFixed(0)}s] interleaved ${variant.id}: req/s ratio ${summary.ratio.toFixed(3)} (pairs: median ${summary.pairRatio.toFixed(3)}), CPU ${summary.cpuOffUs.toFixed(1)} → ${summary.cpuOnUs.toFixed(1)} µs a request, ${summary.windows} windows`,
      )
    }
  }
  const result = {
    settings,
    runs,
    interleaved,
    summary: summarize(groups, runs),
    quietWaitedSeconds: quietWaitedMs / 1000,
    seconds: (performance.now() - started) / 1000,
  }
  writeResult('http', result, markdown(result))
}

// ---------------------------------------------------------------------------------------------
// Reporting.

function median(values) {
  const sorted = values.filter((v) => v !== null && Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return null
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** A run during which other work on the host took more than this share of one core. */
const NOISY_OTHER_SHARE = 0.25

function summarize(groups, runs) {
  return groups.flat().map((variant) => {
    const own = runs.filter((r) => r.id === variant.id)
    const noneOf = (r) =>
      runs.find((n) => n.round === r.round && n.framework === r.framework && n.monitor === 'none')
    const paired = own.map((r) => [r, noneOf(r)]).filter(([, none]) => none !== undefined)
    const ratios = paired.map(([r, none]) => r.rps / none.rps)
    // The same comparison in server CPU per request (none's over the variant's): what the
    // req/s ratio would be with the server the only bottleneck, and less moved by other work
    // on the host than req/s.
    const cpuRatios = paired.map(
      ([r, none]) => none.serverCpuUsPerRequest / r.serverCpuUsPerRequest,
    )
    const noneRuns = runs.filter((n) => n.framework === variant.framework && n.monitor === 'none')
    const rps = median(own.map((r) => r.rps))
    return {
      ...variant,
      runs: own.length,
      rps,
      rpsMin: Math.min(...own.map((r) => r.rps)),
      rpsMax: Math.max(...own.map((r) => r.rps)),
      ratio: median(ratios),
      ratioMin: ratios.length > 0 ? Math.min(...ratios) : null,
      ratioMax: ratios.length > 0 ? Math.max(...ratios) : null,
      ratioOfMedians: noneRuns.length > 0 ? rps / median(noneRuns.map((r) => r.rps)) : null,
      cpuUsPerRequest: median(own.map((r) => r.serverCpuUsPerRequest)),
      cpuRatio: median(cpuRatios),
      latencyP50: median(own.map((r) => r.latencyP50)),
      latencyP99: median(own.map((r) => r.latencyP99)),
      serverCpuShare: median(own.map((r) => r.serverCpuMs / (10 * r.seconds))),
      loadgenCpuShare: median(own.map((r) => r.loadgenCpuMs / (10 * r.seconds))),
      otherCpuShare: median(
        own.map((r) => (r.otherCpuMs === null ? null : r.otherCpuMs / (10 * r.seconds))),
      ),
      noisyRuns: own.filter(
        (r) => r.otherCpuMs !== null && r.otherCpuMs / (1000 * r.seconds) > NOISY_OTHER_SHARE,
      ).length,
      eventLoopUtilization: median(own.map((r) => r.eventLoopUtilization)),
      errors: own.reduce((n, r) => n + r.errors + r.timeouts + r.non2xx, 0),
    }
  })
}

/**
 * An interleaved run: the whole run's request rate and CPU time per request with the monitoring
 * on against off, and the same ratio for each pair of neighbouring windows (median, quartiles).
 */
function summarizeInterleaved(run) {
  const windows = run.windows
  const total = (on) => {
    const own = windows.filter((w) => w.on === on)
    const requests = own.reduce((t, w) => t + w.requests, 0)
    const ms = own.reduce((t, w) => t + w.ms, 0)
    return {
      requests,
      rps: (1000 * requests) / ms,
      cpuUs: own.reduce((t, w) => t + w.cpuUs, 0) / requests,
    }
  }
  const pairs = []
  for (let i = 0; i + 1 < windows.length; i += 2) {
    const [off, on] = windows[i].on ? [windows[i + 1], windows[i]] : [windows[i], windows[i + 1]]
    if (off.requests > 0 && on.requests > 0) {
      pairs.push({
        ratio: on.requests / on.ms / (off.requests / off.ms),
        cpuRatio: off.cpuUs / off.requests / (on.cpuUs / on.requests),
      })
    }
  }
  const off = total(false)
  const on = total(true)
  const ratios = pairs.map((p) => p.ratio).sort((a, b) => a - b)
  const quartile = (q) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))]
  return {
    windows: windows.length,
    rpsOff: off.rps,
    rpsOn: on.rps,
    ratio: on.rps / off.rps,
    pairRatio: median(ratios),
    pairQ1: quartile(0.25),
    pairQ3: quartile(0.75),
    cpuOffUs: off.cpuUs,
    cpuOnUs: on.cpuUs,
    cpuRatio: off.cpuUs / on.cpuUs,
    pairCpuRatio: median(pairs.map((p) => p.cpuRatio)),
  }
}

const cpuShare = (ms, seconds) => `${Math.round(ms / (10 * seconds))}%`
const fmt = (v, digits = 0) =>
  v === null || v === undefined
    ? '-'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

function monitorLabel(s) {
  return s.monitor === 'prom' ? `${PROM_LABEL[s.framework]} (prom-client)` : MONITORS[s.monitor]
}

/**
 * Per framework, each perfwatch variant's ratio to none against the target (the baseline build
 * left out), the floor's and the prom-client middleware's: `ratioOf` reads a row's ratio.
 */
function verdicts(rows, ratioOf) {
  return Object.keys(FRAMEWORKS)
    .map((framework) => {
      const own = rows.filter(
        (r) =>
          r.framework === framework &&
          r.monitor.startsWith('perfwatch') &&
          r.monitor !== 'perfwatch@baseline',
      )
      if (own.length === 0) return null
      const other = (monitor, label) => {
        const row = rows.find((r) => r.framework === framework && r.monitor === monitor)
        return row === undefined ? '' : `; ${label} ${fmt(ratioOf(row), 3)}`
      }
      const mine = own.map(
        (r) =>
          `${MONITORS[r.monitor]} ${fmt(ratioOf(r), 3)} (${ratioOf(r) >= TARGET ? 'met' : 'not met'})`,
      )
      return `${FRAMEWORKS[framework].label}: ${mine.join(', ')}${other('floor', 'the floor')}${other('prom', PROM_LABEL[framework])}.`
    })
    .filter((line) => line !== null)
    .join(' ')
}

function markdown(result) {
  const s = result.settings
  const v = s.versions
  const md = [
    `Hello-world apps with one route, \`GET ${ROUTE}\` answering \`${JSON.stringify(user('42'))}\`: Express ${v.express}, Express ${v.express4} and Fastify ${v.fastify} (no logger, no schema), each alone in a child process on 127.0.0.1. Variants: no monitoring (**none**); an empty middleware as a control (Express: \`app.use((req, res, next) => next())\`; Fastify: an empty \`onRequest\` and \`onResponse\` hook, the usual shape of a timing plugin), to show what the framework charges for any middleware; **perfwatch**'s middleware from the built package (\`perfwatchExpress\`, \`perfwatchFastify\`) with a \`PerformanceTracker\` (\`storagePath: null\`, the other options at their defaults, its log to /dev/null); the same with a \`history\` sink (an array emptied every ${SINK_CLEAR_MS / 1000} s)${s.hasStore ? ' and with the SQLite `HistoryStore` (`new HistoryStore({ path })` in a temporary folder: it buffers each record and writes every second)' : ''}${s.baselineDist ? `; perfwatch from another build (\`${s.baselineDist}\`) as the baseline` : ''}; and the usual prom-client middleware: express-prom-bundle ${v['express-prom-bundle']} (\`includeMethod\`, \`includePath\`, as in its README), fastify-metrics ${v['fastify-metrics']} (its defaults: a histogram and a summary per route, and prom-client's default metrics), prom-client ${v['prom-client']}. Load: autocannon ${v.autocannon} in the parent process, ${s.connections} connections${s.pipelining > 1 ? `, pipelining ${s.pipelining}` : ', no pipelining'}, \`GET ${PATH}\`${s.pinned ? '; server pinned to CPU 1, autocannon to CPU 0' : ''}.`,
    '',
    `${s.rounds} rounds; in each, every variant runs once (${s.warmupSeconds} s of warm-up, then ${s.seconds} s measured, a fresh server process each time), frameworks and variants in an order rotated every round. **req/s**: median over the rounds (min–max). **ratio to none**: the median over the rounds of the variant's req/s divided by that of none of the same framework in the same round (min–max of those ratios; the ratio of the medians beside it). **CPU µs a request**: the server process's CPU time over its requests, median; *CPU ratio* is none's over the variant's, per round, median: the req/s ratio if the server alone were the bottleneck. Latency: medians of each run's p50 and p99. CPU shares are of one core during the measured seconds, medians; *other* is what the rest of the host used meanwhile (other processes, interrupts; /proc/stat), and *noisy runs* counts the runs where it passed ${NOISY_OTHER_SHARE * 100} % of a core. The host has 2 cores for the server, autocannon and anything else running on it: expect run-to-run noise of several percent, so read the min–max columns as well as the medians.`,
    '',
    '| framework | monitoring | req/s | min–max | ratio to none | min–max | ratio of medians | CPU µs a request | CPU ratio | latency p50 / p99 (ms) | server / autocannon / other CPU | noisy runs | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const row of result.summary) {
    const isNone = row.monitor === 'none'
    md.push(
      `| ${FRAMEWORKS[row.framework].label} | ${monitorLabel(row)} | ${fmt(row.rps)} | ${fmt(row.rpsMin)}–${fmt(row.rpsMax)} | ${isNone ? '1' : `**${fmt(row.ratio, 3)}**`} | ${isNone ? '-' : `${fmt(row.ratioMin, 3)}–${fmt(row.ratioMax, 3)}`} | ${isNone ? '-' : fmt(row.ratioOfMedians, 3)} | ${fmt(row.cpuUsPerRequest, 1)} | ${isNone ? '1' : fmt(row.cpuRatio, 3)} | ${fmt(row.latencyP50)} / ${fmt(row.latencyP99)} | ${fmt(row.serverCpuShare)} / ${fmt(row.loadgenCpuShare)} / ${fmt(row.otherCpuShare === null ? null : Math.max(0, row.otherCpuShare))} % | ${row.noisyRuns} of ${row.runs} | ${row.errors} |`,
    )
  }
  md.push('')
  md.push(
    `Target: requests per second with perfwatch at least ${TARGET * 100} % of the same app without monitoring (ratio to none >= ${TARGET}). ${verdicts(result.summary, (r) => r.ratio)}`,
    '',
  )
  const interleaved = result.interleaved ?? []
  if (interleaved.length > 0) {
    md.push(
      '### Interleaved in one process',
      '',
      `A fresh server process varies by several percent from the one before (none's req/s above), as much as the cost being measured. So each variant also ran in one process beside the same app without monitoring: one node:http server hands each request to one or the other, switching every ${s.interleavedWindowMs} ms, under one autocannon run (${s.interleavedWarmupSeconds} s of warm-up, then ${s.interleavedSeconds} s measured, the same load as above); each window's requests and the process's CPU time are counted. Express: one app whose first middleware calls the monitoring's only while it is on (a second Express app in the same process ran 3 to 7 % slower than the first, neither monitored). Fastify: two apps given the requests by the one server (\`serverFactory\`). **none** switches between two identical paths: the method's own error. **two clock reads a request (floor)**: the least a monitor that times each request does, written in the bench: a clock read in the same hook or middleware as perfwatch's and one at the response's finish, seen through the same Node channels, added to one number; perfwatch's cost beyond it is what it does with the duration. **ratio**: the monitored windows' req/s over the others', whole run; **pairs**: the same ratio for each pair of neighbouring windows, median (quartiles). CPU µs a request: the process's CPU time over the requests of the windows in each state.`,
      '',
      '| framework | monitoring | req/s off / on | ratio | pairs: median (quartiles) | CPU µs a request off → on | CPU ratio | windows | other CPU | errors |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    )
    for (const row of interleaved) {
      const t = row.summary
      md.push(
        `| ${FRAMEWORKS[row.framework].label} | ${row.monitor === 'none' ? 'none (A/A: the method)' : monitorLabel(row)} | ${fmt(t.rpsOff)} / ${fmt(t.rpsOn)} | **${fmt(t.ratio, 3)}** | ${fmt(t.pairRatio, 3)} (${fmt(t.pairQ1, 3)}–${fmt(t.pairQ3, 3)}) | ${fmt(t.cpuOffUs, 1)} → ${fmt(t.cpuOnUs, 1)} | ${fmt(t.cpuRatio, 3)} | ${t.windows} | ${row.otherCpuMs === null ? '-' : `${fmt(Math.max(0, row.otherCpuMs / (10 * row.seconds)))} %`} | ${row.errors} |`,
      )
    }
    md.push(
      '',
      `Interleaved, against the same target: ${verdicts(interleaved, (r) => r.summary.ratio)}`,
      '',
    )
  }
  md.push(
    `Each run's check that the monitoring ran (requests it recorded, warm-up included) is in \`docs/results/http.json\` (\`recorded\`). Run time: ${fmt(result.seconds)} s, of which ${fmt(result.quietWaitedSeconds ?? 0)} s waiting for the rest of the host to quieten before a framework's turn (at most ${s.quietWaitSeconds ?? 0} s in all).`,
  )
  return md.join('\n')
}

// Last, once every module-level binding above is initialised.
if (process.argv[2] === '--serve') await serve(process.argv[3], process.argv[4])
else if (process.argv[2] === '--serve-interleaved')
  await serveInterleaved(process.argv[3], process.argv[4])
else if (process.argv[2] === '--render') {
  const saved = JSON.parse(
    readFileSync(new URL('../../docs/results/http.json', import.meta.url), 'utf8'),
  )
  writeResult('http', saved, markdown(saved))
} else await main()
