// What the timing wrapper (src/timing.ts) costs the monitored call beyond its clock reads: how
// deep a wrapped function can recurse, how many microtask ticks wrapping adds before the caller's
// `await` resumes, and ns per call of the paths that look at the result. Runs the built dist/:
//
//   npm run build && node test/bench/passthrough.bench.mjs [other/dist/index.js]
//
// With another build's entry point (a checkout of the base branch, built), both are measured in
// the same process, their batches interleaved, so a noisy moment hits both alike. Prints JSON;
// not part of `npm run bench` (numbers for reviews of the wrapper, not for docs/benchmarks.md).
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { pino } from 'pino'

const BATCHES = Number(process.env.BENCH_BATCHES ?? 31)
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 2)

const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }))
const entries = { current: new URL('../../dist/index.js', import.meta.url).href }
if (process.argv[2] !== undefined) entries.other = pathToFileURL(resolve(process.argv[2])).href

// ---- the same functions, unwrapped and wrapped by each build ---------------------------------
let depth = 0
function plainRecurse() {
  depth++
  plainRecurse()
}
const plainArrow = () => {
  depth++
  plainArrow()
}
async function plainAsync() {}
async function plainAsyncReject() {
  throw new Error('x')
}
/** A lazy thenable, as query builders return: nothing runs until `then` is called. */
class Lazy {
  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
  then(onFulfilled) {
    onFulfilled(1)
  }
}
const plainLazy = () => new Lazy()
const object = { id: 1 }
const plainObject = () => object
function plainNoop() {}

async function wrapAll(entry) {
  const { PerformanceTracker } = await import(entry)
  const tracker = new PerformanceTracker({ storagePath: null, logger, windowSize: 100 })
  const wrapped = {
    tracker,
    recurse: tracker.wrap('recurse', function recurse() {
      depth++
      wrapped.recurse()
    }),
    arrow: tracker.wrap('recurseArrow', () => {
      depth++
      wrapped.arrow()
    }),
    async: tracker.wrap('async', plainAsync),
    asyncReject: tracker.wrap('asyncReject', plainAsyncReject),
    lazy: tracker.wrap('lazy', plainLazy),
    object: tracker.wrap('object', plainObject),
    noop: tracker.wrap('noop', plainNoop),
  }
  return wrapped
}
const builds = {}
for (const [name, entry] of Object.entries(entries)) builds[name] = await wrapAll(entry)

// ---- recursion depth ------------------------------------------------------------------------
/** Frames of `fn` reached before the stack overflows: the most of 5 runs (the JIT changes frames). */
function maxDepth(fn) {
  let most = 0
  for (let run = 0; run < 5; run++) {
    depth = 0
    try {
      fn()
    } catch (error) {
      if (!(error instanceof RangeError)) throw error
    }
    most = Math.max(most, depth)
  }
  return most
}

// ---- microtask ticks ------------------------------------------------------------------------
/** Microtask ticks between calling `call` and the caller's `await` resuming. */
async function ticksUntilResumed(call) {
  let ticks = 0
  let isDone = false
  const count = () => {
    if (isDone) return
    ticks++
    queueMicrotask(count)
  }
  queueMicrotask(count)
  try {
    await call()
  } catch {}
  isDone = true
  return ticks
}

async function ticksAdded(plain, wrapped) {
  return (await ticksUntilResumed(wrapped)) - (await ticksUntilResumed(plain))
}

// ---- ns per call ----------------------------------------------------------------------------
// One loop per case, made by new Function so V8 optimises each on its own (as mitata does).
function loop(fn, isAsync) {
  const body = isAsync
    ? 'for (let i = 0; i < n; i++) await f()'
    : 'let s = 0; for (let i = 0; i < n; i++) s += f() === undefined ? 1 : 2; return s'
  return new Function('f', `return ${isAsync ? 'async ' : ''}function (n) { ${body} }`)(fn)
}
// Grouped by path and measured group by group, so the garbage one path leaves (the lazy
// thenable's patches) is not collected during another's batches.
const groups = {
  async: { 'async function, unwrapped': loop(plainAsync, true) },
  lazy: { 'lazy thenable, unwrapped': loop(plainLazy, true) },
  sync: { 'sync, returns an object, unwrapped': loop(plainObject, false) },
}
for (const [name, w] of Object.entries(builds)) {
  groups.async[`async function, ${name}`] = loop(w.async, true)
  groups.lazy[`lazy thenable, ${name}`] = loop(w.lazy, true)
  groups.sync[`sync, returns an object, ${name}`] = loop(w.object, false)
  groups.sync[`sync, returns undefined, ${name}`] = loop(w.noop, false)
}

async function nsPerCall(cases) {
  const runners = Object.entries(cases).map(([id, run]) => ({ id, run, n: 1000, times: [] }))
  const batch = async (r) => {
    const start = performance.now()
    await r.run(r.n)
    return performance.now() - start
  }
  for (const r of runners) {
    for (let k = 0; k < 20; k++) await batch(r)
    while (r.n < 1e7 && (await batch(r)) < BATCH_MS) r.n *= 2
  }
  // Every other round in reverse order, so neither build always runs first.
  for (let b = 0; b < BATCHES; b++) {
    for (const r of b % 2 === 0 ? runners : [...runners].reverse()) {
      r.times.push(((await batch(r)) * 1e6) / r.n)
    }
  }
  const round = (x) => Number(x.toFixed(1))
  return Object.fromEntries(
    runners.map((r) => {
      const sorted = [...r.times].sort((x, y) => x - y)
      return [r.id, { median: round(sorted[sorted.length >> 1]), min: round(sorted[0]) }]
    }),
  )
}

const result = {
  node: process.version,
  recursionDepth: { unwrapped: { function: maxDepth(plainRecurse), arrow: maxDepth(plainArrow) } },
  ticksAdded: {},
}
for (const [name, w] of Object.entries(builds)) {
  result.recursionDepth[name] = { function: maxDepth(w.recurse), arrow: maxDepth(w.arrow) }
  result.ticksAdded[name] = {
    nativePromise: await ticksAdded(plainAsync, w.async),
    nativePromiseRejecting: await ticksAdded(plainAsyncReject, w.asyncReject),
    lazyThenable: await ticksAdded(plainLazy, w.lazy),
  }
}
result.nsPerCall = {}
for (const cases of Object.values(groups)) Object.assign(result.nsPerCall, await nsPerCall(cases))
for (const [name, w] of Object.entries(builds)) {
  if (!(w.tracker.getOperationStats('async')?.totalCount > 0)) throw new Error(`${name}: no sample`)
}
console.log(JSON.stringify(result, null, 2))
