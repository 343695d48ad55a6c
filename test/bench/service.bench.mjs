// Detection in a real service: an Express and a Fastify app on 127.0.0.1 whose GET /order/:id
// awaits a simulated database call, timed by the built package as a middleware and a wrapped
// function would time them, under load from autocannon (in a child process by default).
// Scenarios:
//   healthy         SERVICE_RUNS (10) runs per framework of SERVICE_SECONDS (15) at 50
//                   connections, full speed, nothing changed: every degradation is a false alarm;
//   slowdown        200 requests/s until both operations' baselines are mature, then the database
//                   call 4x slower: wall time from the switch to each operation's alert;
//                   SERVICE_SLOW_TRIALS (3) trials per framework with the rate spread over the
//                   second, SERVICE_BURST_TRIALS (1) with autocannon's plain overallRate bursts;
//   load increase   600 requests/s until mature, then SERVICE_LOAD_SECONDS (10) at full speed with
//                   50 connections and no code change: what the detector raises;
//   load generator  one healthy run per framework with autocannon in this process instead
//                   (SERVICE_COMPARE=0 skips it; SERVICE_LOADGEN=inprocess swaps the two).
// Only 127.0.0.1 is loaded and every autocannon run has a duration cap. About 7 minutes at the
// defaults. Writes docs/results/service.{json,md}; `--render` rewrites the markdown from the JSON.

import { fork } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import express from 'express'
import Fastify from 'fastify'
import { pino } from 'pino'
import { PerformanceTracker } from '../../dist/index.js'
import { writeResult } from './report.mjs'
import { makeRandom } from './sim.mjs'

const ROUTE = 'GET /order/:id'
const DB = 'db.findOrder'
const OPERATIONS = [ROUTE, DB]
const FRAMEWORKS = ['express', 'fastify']

const RUNS = Number(process.env.SERVICE_RUNS ?? 10) // healthy runs per framework
const SECONDS = Number(process.env.SERVICE_SECONDS ?? 15) // per healthy run
const LOAD_SECONDS = Number(process.env.SERVICE_LOAD_SECONDS ?? 10) // full speed after 600 req/s
const SLOW_TRIALS = Number(process.env.SERVICE_SLOW_TRIALS ?? 3) // per framework, spread pacing
const BURST_TRIALS = Number(process.env.SERVICE_BURST_TRIALS ?? 1) // per framework, burst pacing
const SPREAD_PARTS = Number(process.env.SERVICE_SPREAD_PARTS ?? 50) // one-connection runs, spread
const LOADGEN = process.env.SERVICE_LOADGEN ?? 'child' // 'child' or 'inprocess'
const COMPARE = process.env.SERVICE_COMPARE !== '0'

const CONNECTIONS = 50
const SLOW_RATE = 200 // requests/s in the slowdown scenario
const SLOW_CONNECTIONS = 10
const SLOWDOWN = 4
const ALERT_CAP_MS = 5000 // after the switch, before a trial counts as missed
const LOAD_RATE = 600 // requests/s before the load increase
const MATURE_CAP_S = 20 // longest wait for both baselines to mature
const DB_MEDIAN_MS = 4
const DB_SIGMA = 0.25 // log-normal jitter of the database call
const KNOWN_EVENT_FIELDS = new Set([
  'operation',
  'rule',
  'severity',
  'at',
  'samplesSinceOnset',
  'recentP50',
  'recentP95',
  'baselineP50',
  'baselineP95',
  'recentErrorRate',
  'callsPerSecond',
  'baselineCallsPerSecond',
  'eventLoopUtilization',
  'detector',
])

// ---------------------------------------------------------------------------------------------
// Load generator: autocannon, in a child process (default) or in this one.

function summarize(r, cpu) {
  return {
    cpuMs: cpu === undefined ? null : cpuMs(process.cpuUsage(cpu)),
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.duration > 0 ? r.requests.total / r.duration : 0,
    latencyP50: r.latency.p50,
    latencyP99: r.latency.p99,
    latencyMax: r.latency.max,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
  }
}

function cpuMs(usage) {
  return Math.round((usage.user + usage.system) / 1000)
}

function startAutocannon(options, onDone, measureCpu) {
  const cpu = measureCpu ? process.cpuUsage() : undefined
  // autocannon acts on stop() at its next sample tick (sampleInt, 1 s by default): 0.1 s here,
  // so a stopped load ends within 0.1 s. Rates are computed from the totals, not the samples.
  return autocannon({ sampleInt: 100, ...options }, (error, result) =>
    onDone(error, error ? null : summarize(result, cpu)),
  )
}

function loadgenChild() {
  const running = new Map()
  process.on('message', (m) => {
    if (m.type === 'run') {
      // The child's CPU time while this run lasted: autocannon's own cost (with runs that
      // overlap, each one counts all of them).
      const instance = startAutocannon(
        m.options,
        (error, result) => {
          running.delete(m.id)
          process.send({ id: m.id, error: error ? String(error) : null, result })
        },
        true,
      )
      running.set(m.id, instance)
    } else if (m.type === 'stop') {
      running.get(m.id)?.stop()
    }
  })
  process.on('disconnect', () => process.exit(0))
}

function makeLoadgen(mode) {
  if (mode === 'inprocess') {
    return {
      mode,
      run(options) {
        let instance
        const done = new Promise((resolve, reject) => {
          instance = startAutocannon(options, (error, result) =>
            error ? reject(error) : resolve(result),
          )
        })
        return { stop: () => instance.stop(), done }
      },
      close() {},
    }
  }
  if (mode !== 'child') throw new Error(`SERVICE_LOADGEN: child or inprocess, not ${mode}`)
  const child = fork(fileURLToPath(import.meta.url), ['--loadgen'], { stdio: 'inherit' })
  const pending = new Map()
  let nextId = 0
  child.on('message', (m) => {
    const p = pending.get(m.id)
    pending.delete(m.id)
    if (m.error) p?.reject(new Error(m.error))
    else p?.resolve(m.result)
  })
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`load generator exited (${code})`))
    pending.clear()
  })
  return {
    mode,
    run(options) {
      const id = nextId++
      const done = new Promise((resolve, reject) => pending.set(id, { resolve, reject }))
      child.send({ type: 'run', id, options })
      return { stop: () => child.send({ type: 'stop', id }), done }
    },
    close() {
      child.disconnect()
    },
  }
}

/**
 * A fixed request rate. 'burst' is one autocannon run with `overallRate`: autocannon gives each
 * connection its share per second and resets the counts every second, so all connections send
 * their share back to back at the start of each second and then wait. 'spread' splits the rate
 * over one-connection autocannon runs started 1/parts s apart, so the bursts are spread over the
 * second and requests arrive at a nearly even pace.
 */
function pacedLoad(loadgen, { url, rate, connections, duration, pacing }) {
  if (pacing === 'burst') return loadgen.run({ url, connections, overallRate: rate, duration })
  const parts = SPREAD_PARTS
  const runs = []
  const timers = []
  let stopped = false
  let allStarted
  const started = new Promise((resolve) => {
    allStarted = resolve
  })
  for (let i = 0; i < parts; i++) {
    timers.push(
      setTimeout(
        () => {
          runs.push(loadgen.run({ url, connections: 1, overallRate: rate / parts, duration }))
          if (runs.length === parts) allStarted()
        },
        (i * 1000) / parts,
      ),
    )
  }
  return {
    stop() {
      stopped = true
      for (const timer of timers) clearTimeout(timer)
      for (const run of runs) run.stop()
      allStarted()
    },
    done: (async () => {
      await started
      if (stopped) for (const run of runs) run.stop()
      const results = await Promise.all(runs.map((run) => run.done))
      const sorted = (key) => results.map((r) => r[key]).sort((a, b) => a - b)
      const requests = results.reduce((n, r) => n + r.requests, 0)
      const seconds = Math.max(...results.map((r) => r.seconds))
      return {
        requests,
        seconds,
        rps: seconds > 0 ? requests / seconds : 0,
        // Across the parts: the median of their medians and the largest p99 and max.
        latencyP50: sorted('latencyP50')[Math.floor(results.length / 2)],
        latencyP99: Math.max(...sorted('latencyP99')),
        latencyMax: Math.max(...sorted('latencyMax')),
        cpuMs: null,
        errors: results.reduce((n, r) => n + r.errors, 0),
        timeouts: results.reduce((n, r) => n + r.timeouts, 0),
        non2xx: results.reduce((n, r) => n + r.non2xx, 0),
        parts,
      }
    })(),
  }
}

// ---------------------------------------------------------------------------------------------
// The service: a simulated database and the same route in both frameworks.

const random = makeRandom(20261124)
const db = {
  slowdown: 1,
  /** Set to note when the next call starts, in markedAt. */
  marking: false,
  markedAt: null,
  mark() {
    this.marking = true
    this.markedAt = null
  },
  async findOrder(id) {
    if (this.marking) {
      this.marking = false
      this.markedAt = performance.now()
    }
    await sleep(DB_MEDIAN_MS * Math.exp(DB_SIGMA * random.normal()) * this.slowdown)
    // A row as a driver hands it over: a JSON column to decode.
    const items = []
    for (let i = 0; i < 20; i++) {
      items.push({ sku: `SKU-${(Number(id) * 31 + i) % 997}`, qty: 1 + (i % 3), price: 3.5 + i })
    }
    return { id, customer: `customer-${Number(id) % 101}`, items: JSON.stringify(items) }
  },
}

/** The handler's own work: decode the row, price the lines, render JSON. */
function renderOrder(row) {
  const items = JSON.parse(row.items)
  let total = 0
  const lines = items.map((item) => {
    const amount = Math.round(item.qty * item.price * 100) / 100
    total += amount
    return { ...item, amount }
  })
  const tax = Math.round(total * 0.2 * 100) / 100
  return JSON.stringify({ id: row.id, customer: row.customer, lines, total, tax })
}

async function startExpress(trackers, findOrder) {
  const app = express()
  // The timing middleware, first: from the request's arrival to the response's 'finish'.
  app.use((_req, res, next) => {
    const timers = trackers.map((tracker) => tracker.startOperation(ROUTE))
    res.on('finish', () => {
      const success = res.statusCode < 500
      for (let i = 0; i < trackers.length; i++) trackers[i].endOperation(timers[i], { success })
    })
    next()
  })
  app.get('/order/:id', async (req, res) => {
    const row = await findOrder(req.params.id)
    res.type('application/json').send(renderOrder(row))
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve, reject) => {
    server.once('listening', resolve)
    server.once('error', reject)
  })
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function startFastify(trackers, findOrder) {
  const app = Fastify({ logger: false })
  app.decorateRequest('perfTimers', null)
  // onRequest runs on arrival, onResponse on the response's 'finish'.
  app.addHook('onRequest', (request, _reply, done) => {
    const name = `${request.method} ${request.routeOptions.url}`
    request.perfTimers = trackers.map((tracker) => tracker.startOperation(name))
    done()
  })
  app.addHook('onResponse', (request, reply, done) => {
    const success = reply.statusCode < 500
    for (let i = 0; i < trackers.length; i++) {
      trackers[i].endOperation(request.perfTimers[i], { success })
    }
    done()
  })
  app.get('/order/:id', async (request, reply) => {
    const row = await findOrder(request.params.id)
    reply.type('application/json')
    return renderOrder(row)
  })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { url, close: () => app.close() }
}

// ---------------------------------------------------------------------------------------------
// One tracker per run, with the events counted and the process's stalls measured.

function instrument() {
  const logLines = { total: 0, warn: 0, error: 0, maturingRestarts: 0 }
  const destination = {
    write(line) {
      logLines.total++
      const level = line.charCodeAt(9) // {"level":NN
      if (level === 52) logLines.warn++
      else if (level === 53) logLines.error++
      if (line.includes('while its baseline was maturing')) logLines.maturingRestarts++
    },
  }
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger: pino({ level: 'info' }, destination),
  })
  const startedAt = performance.now()
  const since = () => performance.now() - startedAt
  const ops = {}
  for (const name of OPERATIONS) {
    ops[name] = {
      degradations: [],
      recoveries: [],
      firstBaselineP50: null,
      maturedAtS: null,
      baselineP50: null,
    }
  }
  const waiters = []
  tracker.on('degradation', (e) => {
    const extra = Object.fromEntries(
      Object.entries(e).filter(([key]) => !KNOWN_EVENT_FIELDS.has(key)),
    )
    const event = {
      atMs: round(since(), 1),
      wallAt: performance.now(),
      rule: e.rule,
      severity: e.severity,
      samplesSinceOnset: e.samplesSinceOnset,
      recentP50: round(e.recentP50, 2),
      recentP95: round(e.recentP95, 2),
      baselineP50: round(e.baselineP50, 2),
      baselineP95: round(e.baselineP95, 2),
      callsPerSecond: round(e.callsPerSecond, 0),
      eventLoopUtilization: round(e.eventLoopUtilization, 2),
      totalCount: tracker.getOperationStats(e.operation)?.totalCount ?? null,
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    }
    ops[e.operation]?.degradations.push(event)
    for (const w of waiters.splice(0)) w()
  })
  tracker.on('recovery', (e) => {
    ops[e.operation]?.recoveries.push({
      atMs: round(since(), 1),
      durationMs: round(e.durationMs, 1),
      samples: e.samples,
    })
  })
  tracker.on('baseline', (e) => {
    const op = ops[e.operation]
    if (op && e.change === 'established') op.firstBaselineP50 = round(e.baseline?.p50, 2)
    if (op && e.change === 'matured') {
      op.maturedAtS = round(since() / 1000, 2)
      op.baselineP50 = round(e.baseline?.p50, 2)
    }
  })
  // A second tracker on the same calls with recoveryHoldMs: 0 counts every raise: with the
  // default 10-s hold, a raise keeps the episode open for most of a 15-s run, so the count of
  // episodes cannot show how often the detector fires.
  const noHold = new PerformanceTracker({
    storagePath: null,
    logger: pino({ level: 'silent' }),
    recoveryHoldMs: 0,
  })
  const raisesNoHold = Object.fromEntries(OPERATIONS.map((name) => [name, 0]))
  noHold.on('degradation', (e) => {
    if (e.operation in raisesNoHold) raisesNoHold[e.operation]++
  })
  const findOrder = tracker.wrap(
    DB,
    noHold.wrap(DB, (id) => db.findOrder(id)),
  )

  // Process stalls: event-loop delay and garbage collection pauses; CPU time of this process.
  const cpuStart = process.cpuUsage()
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const gc = { count: 0, totalMs: 0, maxMs: 0 }
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++
      gc.totalMs += entry.duration
      gc.maxMs = Math.max(gc.maxMs, entry.duration)
    }
  })
  observer.observe({ entryTypes: ['gc'] })

  return {
    tracker,
    trackers: [tracker, noHold],
    findOrder,
    ops,
    logLines,
    since,
    /** Resolves at the next degradation event, or after ms. */
    nextDegradation: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms)
        waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      }),
    states: () => OPERATIONS.map((name) => tracker.getOperationState(name)),
    async finish() {
      await sleep(50) // transition reports are delivered in setImmediate
      const processCpuMs = cpuMs(process.cpuUsage(cpuStart))
      const runSeconds = since() / 1000
      loop.disable()
      observer.disconnect()
      const perOperation = {}
      for (const name of OPERATIONS) {
        const stats = tracker.getOperationStats(name)
        perOperation[name] = {
          samples: stats?.totalCount ?? 0,
          state: stats?.state ?? null,
          // The first baseline, of the first 100 calls (kept while maturing is refused).
          firstBaselineP50: ops[name].firstBaselineP50,
          maturedAtS: ops[name].maturedAtS,
          baselineP50: ops[name].baselineP50,
          baselineP95: round(stats?.baseline?.p95, 2),
          finalRecentP50: round(stats?.recentP50, 2),
          finalRecentP95: round(stats?.recentP95, 2),
          degradations: ops[name].degradations.length,
          raisesNoHold: raisesNoHold[name],
          recoveries: ops[name].recoveries.length,
          rules: countBy(ops[name].degradations, (d) => d.rule),
          events: ops[name].degradations.map(({ wallAt: _, ...rest }) => rest),
          recoveryEvents: ops[name].recoveries,
        }
      }
      await tracker.close()
      await noHold.close()
      return {
        operations: perOperation,
        eventLoopDelayMs: {
          p50: round(loop.percentile(50) / 1e6, 2),
          p99: round(loop.percentile(99) / 1e6, 2),
          max: round(loop.max / 1e6, 2),
        },
        gc: { count: gc.count, totalMs: round(gc.totalMs, 1), maxMs: round(gc.maxMs, 2) },
        seconds: round(runSeconds, 2),
        // Time with both detectors running (both baselines mature).
        armedSeconds: OPERATIONS.every((n) => ops[n].maturedAtS !== null)
          ? round(runSeconds - Math.max(...OPERATIONS.map((n) => ops[n].maturedAtS)), 2)
          : 0,
        // This process (the server, and autocannon too when it runs in this process).
        processCpuMs,
        // Other work on the host (1-minute load average on 2 cores) at the end of the run.
        loadAverage: round(loadavg()[0], 2),
        logLines: { ...logLines },
      }
    },
  }
}

async function startService(framework, inst) {
  db.slowdown = 1
  db.marking = false
  return framework === 'express'
    ? startExpress(inst.trackers, inst.findOrder)
    : startFastify(inst.trackers, inst.findOrder)
}

/** Waits until both operations are `ok`; false when they are not after MATURE_CAP_S. */
async function waitUntilMature(inst) {
  const deadline = performance.now() + MATURE_CAP_S * 1000
  while (!inst.states().every((s) => s === 'ok')) {
    if (performance.now() > deadline) return false
    await sleep(10)
  }
  return true
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

async function healthyRun(loadgen, framework) {
  const inst = instrument()
  const service = await startService(framework, inst)
  const load = loadgen.run({
    url: `${service.url}/order/1234`,
    connections: CONNECTIONS,
    duration: SECONDS,
  })
  const autocannonResult = await load.done
  const run = await inst.finish()
  await service.close()
  return { framework, loadgen: loadgen.mode, autocannon: autocannonResult, ...run }
}

async function slowdownTrial(loadgen, framework, pacing) {
  const inst = instrument()
  const service = await startService(framework, inst)
  const load = pacedLoad(loadgen, {
    url: `${service.url}/order/1234`,
    rate: SLOW_RATE,
    connections: SLOW_CONNECTIONS,
    duration: MATURE_CAP_S + ALERT_CAP_MS / 1000 + 5,
    pacing,
  })
  const matured = await waitUntilMature(inst)
  const before = {}
  for (const name of OPERATIONS) {
    before[name] = {
      degradations: inst.ops[name].degradations.length,
      totalCount: inst.tracker.getOperationStats(name)?.totalCount ?? 0,
    }
  }
  const matureS = round(inst.since() / 1000, 2)
  const switchedAt = performance.now()
  db.slowdown = SLOWDOWN
  db.mark()
  const raised = () =>
    OPERATIONS.every((n) => inst.ops[n].degradations.length > before[n].degradations)
  while (matured && !raised() && performance.now() - switchedAt < ALERT_CAP_MS) {
    await inst.nextDegradation(ALERT_CAP_MS - (performance.now() - switchedAt))
  }
  const firstSlowCallAt = db.markedAt
  load.stop()
  const autocannonResult = await load.done
  db.slowdown = 1
  const run = await inst.finish()
  await service.close()
  const alerts = {}
  for (const name of OPERATIONS) {
    const event = inst.ops[name].degradations[before[name].degradations]
    alerts[name] = event
      ? {
          msFromSwitch: round(event.wallAt - switchedAt, 1),
          msFromFirstSlowCall:
            firstSlowCallAt === null ? null : round(event.wallAt - firstSlowCallAt, 1),
          samplesAfterSwitch:
            event.totalCount === null ? null : event.totalCount - before[name].totalCount,
          samplesSinceOnset: event.samplesSinceOnset,
          rule: event.rule,
          severity: event.severity,
          recentP50: event.recentP50,
          baselineP50: event.baselineP50,
          ...(event.extra ? { extra: event.extra } : {}),
        }
      : null
  }
  const falseAlarmsBeforeSwitch = OPERATIONS.reduce((n, op) => n + before[op].degradations, 0)
  return {
    framework,
    pacing,
    matured,
    matureS,
    msSwitchToFirstSlowCall:
      firstSlowCallAt === null ? null : round(firstSlowCallAt - switchedAt, 1),
    falseAlarmsBeforeSwitch,
    alerts,
    autocannon: autocannonResult,
    ...run,
  }
}

async function loadIncrease(loadgen, framework) {
  const inst = instrument()
  const service = await startService(framework, inst)
  const url = `${service.url}/order/1234`
  const paced = loadgen.run({
    url,
    connections: CONNECTIONS,
    overallRate: LOAD_RATE,
    duration: MATURE_CAP_S + 5,
  })
  const matured = await waitUntilMature(inst)
  const matureS = round(inst.since() / 1000, 2)
  paced.stop()
  const pacedResult = await paced.done
  const before = Object.fromEntries(
    OPERATIONS.map((n) => [n, { r: inst.ops[n].recoveries.length }]),
  )
  const switchedAt = performance.now()
  const switchedAtMs = inst.since()
  db.mark()
  const full = loadgen.run({ url, connections: CONNECTIONS, duration: LOAD_SECONDS })
  const fullResult = await full.done
  const firstCallAt = db.markedAt
  const run = await inst.finish()
  await service.close()
  // The load increase starts with the first request at full speed: a transition raised before it
  // (between the switch and that request) comes from requests of the paced phase.
  const onset = firstCallAt ?? switchedAt
  const after = {}
  let raisedBefore = 0
  for (const name of OPERATIONS) {
    const events = inst.ops[name].degradations
    const raisedEvents = events.filter((e) => e.wallAt >= onset)
    raisedBefore += events.length - raisedEvents.length
    const recoveries = inst.ops[name].recoveries
    after[name] = {
      raised: raisedEvents.length,
      cleared: recoveries.length - before[name].r,
      msToFirstRaise: raisedEvents[0] ? round(raisedEvents[0].wallAt - onset, 1) : null,
      events: raisedEvents.map(({ wallAt, atMs: _, totalCount: __, ...rest }) => ({
        msAfterFirstRequest: round(wallAt - onset, 1),
        ...rest,
      })),
    }
  }
  return {
    framework,
    matured,
    matureS,
    switchedAtS: round(switchedAtMs / 1000, 2),
    msSwitchToFirstCall: firstCallAt === null ? null : round(firstCallAt - switchedAt, 1),
    falseAlarmsBeforeSwitch: raisedBefore,
    paced: pacedResult,
    fullSpeed: fullResult,
    afterSwitch: after,
    ...run,
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = performance.now()
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`
  const log = (line) => console.log(`[service ${elapsed()}] ${line}`)
  const loadgen = makeLoadgen(LOADGEN)
  const result = {
    settings: {
      runs: RUNS,
      seconds: SECONDS,
      loadSeconds: LOAD_SECONDS,
      slowTrials: SLOW_TRIALS,
      burstTrials: BURST_TRIALS,
      loadgen: LOADGEN,
      connections: CONNECTIONS,
      slowRate: SLOW_RATE,
      slowConnections: SLOW_CONNECTIONS,
      spreadParts: SPREAD_PARTS,
      matureCapS: MATURE_CAP_S,
      slowdown: SLOWDOWN,
      loadRate: LOAD_RATE,
      db: { medianMs: DB_MEDIAN_MS, sigma: DB_SIGMA },
      versions: {
        express: await versionOf('express'),
        fastify: await versionOf('fastify'),
        autocannon: await versionOf('autocannon'),
      },
    },
    healthy: [],
    slowdown: [],
    loadIncrease: [],
    loadgenComparison: [],
  }
  try {
    for (let k = 1; k <= RUNS; k++) {
      for (const framework of FRAMEWORKS) {
        const run = await healthyRun(loadgen, framework)
        run.run = k
        result.healthy.push(run)
        log(`healthy ${framework} ${k}/${RUNS}: ${describeHealthy(run)}`)
      }
    }
    const plan = [
      ...Array.from({ length: SLOW_TRIALS }, () => 'spread'),
      ...Array.from({ length: BURST_TRIALS }, () => 'burst'),
    ]
    for (const [k, pacing] of plan.entries()) {
      for (const framework of FRAMEWORKS) {
        const trial = await slowdownTrial(loadgen, framework, pacing)
        trial.trial = k + 1
        result.slowdown.push(trial)
        const a = (n) =>
          trial.alerts[n]
            ? `${trial.alerts[n].msFromSwitch} ms (${trial.alerts[n].msFromFirstSlowCall} ms after the first slowed call, ${trial.alerts[n].rule})`
            : 'missed'
        log(
          `slowdown ${framework} ${k + 1}/${plan.length} (${pacing}): mature at ${trial.matureS}s; ${DB} ${a(DB)}, route ${a(ROUTE)}`,
        )
      }
    }
    for (const framework of FRAMEWORKS) {
      const run = await loadIncrease(loadgen, framework)
      result.loadIncrease.push(run)
      const s = (n) => run.afterSwitch[n]
      log(
        `load increase ${framework}: ${run.paced.rps.toFixed(0)} -> ${run.fullSpeed.rps.toFixed(0)} req/s; route raised ${s(ROUTE).raised} (first after ${s(ROUTE).msToFirstRaise ?? '-'} ms), cleared ${s(ROUTE).cleared}; ${DB} raised ${s(DB).raised} (first after ${s(DB).msToFirstRaise ?? '-'} ms), cleared ${s(DB).cleared}`,
      )
    }
  } finally {
    loadgen.close()
  }
  if (COMPARE) {
    const other = makeLoadgen(LOADGEN === 'child' ? 'inprocess' : 'child')
    try {
      for (const framework of FRAMEWORKS) {
        const run = await healthyRun(other, framework)
        run.run = 1
        result.loadgenComparison.push(run)
        log(`healthy ${framework}, autocannon ${other.mode}: ${describeHealthy(run)}`)
      }
    } finally {
      other.close()
    }
  }
  result.seconds = round((performance.now() - started) / 1000, 1)
  writeResult('service', result, markdown(result))
}

// ---------------------------------------------------------------------------------------------
// Reporting.

async function versionOf(name) {
  return (await import(`${name}/package.json`, { with: { type: 'json' } })).default.version
}

function round(value, digits) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null
  const f = 10 ** digits
  return Math.round(value * f) / f
}

function countBy(items, key) {
  const counts = {}
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1
  return counts
}

const fmt = (v, digits = 1) =>
  v === null || v === undefined
    ? '-'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })

function describeHealthy(run) {
  const o = run.operations
  return `${fmt(run.autocannon.rps, 0)} req/s, latency p50 ${run.autocannon.latencyP50} ms p99 ${run.autocannon.latencyP99} ms; degradations route ${o[ROUTE].degradations} ${DB} ${o[DB].degradations}, recoveries ${o[ROUTE].recoveries}/${o[DB].recoveries}; loop delay p99 ${run.eventLoopDelayMs.p99} ms max ${run.eventLoopDelayMs.max} ms`
}

function rulesText(runs) {
  const counts = {}
  for (const run of runs) {
    for (const name of OPERATIONS) {
      for (const [rule, n] of Object.entries(run.operations[name].rules)) {
        counts[rule] = (counts[rule] ?? 0) + n
      }
    }
  }
  const parts = Object.entries(counts).map(([rule, n]) => `${rule} ${n}`)
  return parts.length > 0 ? parts.join(', ') : 'none'
}

const baselineCell = (op) =>
  `${op.maturedAtS === null ? `never matured (first 100: ${fmt(op.firstBaselineP50, 2)})` : fmt(op.baselineP50, 2)} → ${fmt(op.finalRecentP50, 2)}`

const cpuShare = (ms, seconds) =>
  ms === null || ms === undefined || !seconds ? '-' : `${Math.round(ms / (10 * seconds))}%`

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : null
}

/** runs, mature runs, armed seconds, degradations, per run, per armed minute, recoveries, rules. */
function healthyCells(runs) {
  const sum = (f) => runs.reduce((n, run) => n + f(run), 0)
  const ofOps = (key) => (run) => OPERATIONS.reduce((m, op) => m + run.operations[op][key], 0)
  const degradations = sum(ofOps('degradations'))
  // Seconds each operation's detector ran (its baseline mature), summed over the operations.
  const armed = sum((run) =>
    OPERATIONS.reduce((m, op) => {
      const maturedAtS = run.operations[op].maturedAtS
      return m + (maturedAtS === null ? 0 : Math.max(0, run.seconds - maturedAtS))
    }, 0),
  )
  const mature = runs.filter((run) =>
    OPERATIONS.every((op) => run.operations[op].maturedAtS !== null),
  )
  return [
    runs.length,
    mature.length,
    fmt(armed, 0),
    `**${degradations}**`,
    runs.length > 0 ? (degradations / runs.length).toFixed(1) : '-',
    armed > 0 ? ((60 * degradations) / armed).toFixed(1) : '-',
    sum(ofOps('recoveries')),
    rulesText(runs),
    runs.every((run) => run.operations[ROUTE].raisesNoHold !== undefined)
      ? sum(ofOps('raisesNoHold'))
      : '-',
  ].join(' | ')
}

function healthyTable(runs, label) {
  const md = [
    `| ${label} | req/s | latency p50 / p99 (ms) | route: degradations / recoveries | ${DB}: degradations / recoveries | route baseline p50 → final p50 (ms) | ${DB} baseline p50 → final p50 (ms) | event-loop delay p99 / max (ms) | baseline maturing restarts | longest GC pause (ms) | CPU: server process / autocannon child (of one core) | host load average |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const run of runs) {
    const r = run.operations[ROUTE]
    const d = run.operations[DB]
    md.push(
      `| ${run.framework} ${run.run} | ${fmt(run.autocannon.rps, 0)} | ${run.autocannon.latencyP50} / ${run.autocannon.latencyP99} | ${r.degradations} / ${r.recoveries} | ${d.degradations} / ${d.recoveries} | ${baselineCell(r)} | ${baselineCell(d)} | ${fmt(run.eventLoopDelayMs.p99)} / ${fmt(run.eventLoopDelayMs.max)} | ${run.logLines.maturingRestarts} | ${fmt(run.gc.maxMs)} | ${cpuShare(run.processCpuMs, run.seconds)} / ${cpuShare(run.autocannon.cpuMs, run.autocannon.seconds)} | ${fmt(run.loadAverage, 2)} |`,
    )
  }
  return md
}

function markdown(result) {
  const md = []
  const s = result.settings
  const loadgenText =
    s.loadgen === 'child'
      ? 'autocannon runs in a child process (its own event loop, sharing the 2 cores with the server)'
      : 'autocannon runs in the same process as the server'
  md.push(
    `Express ${s.versions.express} and Fastify ${s.versions.fastify} apps on 127.0.0.1 serve \`GET /order/:id\`: the handler awaits a simulated database call \`${DB}\` (a \`setTimeout\` of ${DB_MEDIAN_MS} ms × log-normal jitter σ = ${DB_SIGMA}, × a slowdown factor), decodes and prices 20 order lines and renders JSON. One tracker per run with the defaults (\`storagePath: null\`, a pino logger to a counting destination) times the route from the request's arrival to the response's \`finish\` (an Express middleware; Fastify \`onRequest\`/\`onResponse\` hooks) and the database call (\`tracker.wrap\`); its \`degradation\` and \`recovery\` events are counted. A second tracker with \`recoveryHoldMs: 0\` times the same calls and counts every raise (*raises with no hold*): with the default 10-s hold an episode stays open for most of a 15-s run, so episodes alone cannot show how often the detector fires. Load: autocannon ${s.versions.autocannon}; ${loadgenText}. Every degradation in the healthy runs is a false alarm.`,
    '',
  )

  const healthy = result.healthy
  md.push(
    '### Healthy service',
    '',
    `${s.runs} runs per framework of ${s.seconds} s at ${s.connections} connections, as fast as the server answers, nothing changed (a fresh server and tracker per run; the baselines mature with the defaults: 1,000 requests spread over 5 to 10 s of learning, \`minLearningMs\`).`,
    '',
  )
  const summary = [
    '| framework | runs | runs with both baselines mature | detector-seconds (route + db) | sustained degradations (route + db) | per run | per detector-minute | recoveries | rules | raises with no hold (route + db) | req/s (median) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const framework of FRAMEWORKS) {
    const runs = healthy.filter((r) => r.framework === framework)
    if (runs.length === 0) continue
    summary.push(
      `| ${framework} | ${healthyCells(runs)} | ${fmt(median(runs.map((r) => r.autocannon.rps)), 0)} |`,
    )
  }
  summary.push(`| **all** | ${healthyCells(healthy)} | |`)
  const events = healthy.flatMap((run) => OPERATIONS.flatMap((op) => run.operations[op].events))
  const early = events.filter((e) => e.atMs < 3000).length
  md.push(
    ...summary,
    '',
    `${early} of the ${events.length} degradations came in the first 3 s of a run. A baseline p50 above the final p50 (the last 1,000 calls) means the baseline was learned while the process was slower than later (warm-up); *never matured*: the tracker refused, again and again, to mature the baseline because the 900 calls after the first 100 were slower than those (*maturing restarts*), so that operation's detector never ran in that run and its 0 degradations prove nothing. The host load average counts every process on the 2 cores, including other work on the machine.`,
    '',
    ...healthyTable(healthy, 'run'),
    '',
  )

  md.push(
    '### A real slowdown: the database call 4x slower',
    '',
    `At ${s.slowRate} requests/s until both operations are \`ok\` (baselines matured), then \`${DB}\` ${s.slowdown}x slower; time from the switch to each operation's \`degradation\` event (missed after ${ALERT_CAP_MS / 1000} s), and from the first database call started after the switch. autocannon's \`overallRate\` gives each connection its share of the rate per second and resets the counts every second, so with one run of ${s.slowConnections} connections (**burst**) all of them send their share back to back at the start of each second and then wait: the first slowed call comes up to a second after the switch, and the service sees 10 concurrent requests for a tenth of a second, then nothing. **spread**: ${s.spreadParts} one-connection autocannon runs at ${s.slowRate / s.spreadParts} requests/s each, started ${1000 / s.spreadParts} ms apart, so requests arrive at a nearly even pace, as from many independent clients (each run resets its count on its own 1-s timer; a stall of the load generator's event loop fires those timers together and the runs then stay in step, which shows as a first slowed call long after the switch).`,
    '',
    `| trial | pacing | mature after (s) | switch → first slowed call (ms) | ${DB}: ms after switch (after first slowed call) | samples after switch | rule, severity | route: ms after switch (after first slowed call) | samples after switch | rule, severity | false alarms before |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  const alertCells = (a) =>
    a
      ? [
          `**${fmt(a.msFromSwitch)}** (${fmt(a.msFromFirstSlowCall)})`,
          fmt(a.samplesAfterSwitch, 0),
          `${a.rule}, ${a.severity}`,
        ]
      : ['missed', '-', '-']
  for (const t of result.slowdown) {
    md.push(
      `| ${t.framework} ${t.trial} | ${t.pacing} | ${t.matured ? t.matureS : `not mature after ${MATURE_CAP_S}`} | ${fmt(t.msSwitchToFirstSlowCall)} | ${[...alertCells(t.alerts[DB]), ...alertCells(t.alerts[ROUTE])].join(' | ')} | ${t.falseAlarmsBeforeSwitch} |`,
    )
  }
  md.push('')

  md.push(
    '### Load increase, no code change',
    '',
    `${s.loadRate} requests/s (\`overallRate\`) to ${s.connections} connections until both operations are \`ok\`, then ${s.loadSeconds} s at ${s.connections} connections as fast as the server answers. Nothing in the code changed: every degradation raised is load, not a regression. The paced phase is the *burst* pacing above (each connection sends its 12 requests back to back at the start of every second), so it already puts ${s.connections} concurrent requests on the server for part of each second; *before*: degradations raised during it, after the baselines matured.`,
    '',
    `| framework | req/s paced → full | switch → first request at full speed (ms) | route: raised / cleared | first raise, ms after the first request at full speed | ${DB}: raised / cleared | first raise, ms after the first request at full speed | raised before (route + db) |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  for (const run of result.loadIncrease) {
    const r = run.afterSwitch[ROUTE]
    const d = run.afterSwitch[DB]
    md.push(
      `| ${run.framework}${run.matured ? '' : ` (not mature after ${MATURE_CAP_S} s)`} | ${fmt(run.paced.rps, 0)} → ${fmt(run.fullSpeed.rps, 0)} | ${fmt(run.msSwitchToFirstCall)} | **${r.raised}** / ${r.cleared} | ${fmt(r.msToFirstRaise)} | **${d.raised}** / ${d.cleared} | ${fmt(d.msToFirstRaise)} | ${run.falseAlarmsBeforeSwitch} |`,
    )
  }
  md.push(
    '',
    'The first degradation of each operation after the switch (all of them are in `docs/results/service.json`, with any fields of the event beyond the documented ones under `extra`):',
    '',
    '| framework | operation | ms after the first request at full speed | rule, severity | recent p50 / p95 (ms) | baseline p50 / p95 (ms) | samples since onset | other fields |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  )
  for (const run of result.loadIncrease) {
    for (const name of OPERATIONS) {
      const e = run.afterSwitch[name].events[0]
      if (!e) continue
      md.push(
        `| ${run.framework} | ${name} | ${fmt(e.msAfterFirstRequest)} | ${e.rule}, ${e.severity} | ${fmt(e.recentP50, 2)} / ${fmt(e.recentP95, 2)} | ${fmt(e.baselineP50, 2)} / ${fmt(e.baselineP95, 2)} | ${e.samplesSinceOnset} | ${e.extra ? `\`${JSON.stringify(e.extra)}\`` : '-'} |`,
      )
    }
  }
  md.push('')

  if (result.loadgenComparison.length > 0) {
    const other = result.loadgenComparison[0].loadgen
    const same = healthy.filter((r) => r.run === 1)
    md.push(
      '### Where the load generator runs',
      '',
      `The same healthy run (${s.seconds} s, ${s.connections} connections) with autocannon ${other === 'inprocess' ? 'in the server process' : 'in a child process'}, against run 1 above (${s.loadgen === 'child' ? 'child process' : 'in the server process'}). In one process autocannon's request generation and response parsing run on the server's event loop, between the server's own callbacks, and are timed as part of its requests; in a child process they run in another process (sharing the machine's 2 cores with the server and anything else running). The bench uses the child process by default: a production service's clients do not run in its process.`,
      '',
      ...healthyTable(
        [
          ...same.map((r) => ({ ...r, framework: `${r.framework} (${r.loadgen})` })),
          ...result.loadgenComparison.map((r) => ({
            ...r,
            framework: `${r.framework} (${r.loadgen})`,
          })),
        ],
        'run',
      ),
      '',
    )
  }
  md.push(`Run time: ${fmt(result.seconds, 0)} s.`)
  return md.join('\n')
}

// Last, once every module-level binding above is initialised. `--render` rewrites the markdown
// from docs/results/service.json without running anything.
if (process.argv[2] === '--loadgen') loadgenChild()
else if (process.argv[2] === '--render') {
  const file = new URL('../../docs/results/service.json', import.meta.url)
  const saved = JSON.parse(readFileSync(file, 'utf8'))
  writeResult('service', saved, markdown(saved))
} else await main()
