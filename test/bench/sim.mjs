// Seeded latency distributions and a silent tracker factory, shared by the detection benchmark.
import { pino } from 'pino'
import { PerformanceTracker } from '../../dist/index.js'

/** sfc32: a small, fast, seeded PRNG with uniform output in (0, 1). */
export function makeRandom(seed) {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const uniform = () => {
    a |= 0
    b |= 0
    c |= 0
    d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296 + 1.1641532182693481e-10
  }
  for (let i = 0; i < 20; i++) uniform()
  let spare = Number.NaN
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const s = spare
      spare = Number.NaN
      return s
    }
    const r = Math.sqrt(-2 * Math.log(uniform()))
    const theta = 2 * Math.PI * uniform()
    spare = r * Math.sin(theta)
    return r * Math.cos(theta)
  }
  return { uniform, normal }
}

/** The five healthy latency distributions of the detection benchmark, in ms. */
export const DISTRIBUTIONS = [
  {
    key: 'lognormal-0.5',
    name: 'log-normal σ=0.5 (median 10 ms)',
    draw: (r) => 10 * Math.exp(0.5 * r.normal()),
  },
  {
    key: 'lognormal-1.0',
    name: 'log-normal σ=1.0 (median 10 ms)',
    draw: (r) => 10 * Math.exp(r.normal()),
  },
  {
    key: 'exponential',
    name: 'exponential (mean 10 ms)',
    draw: (r) => -10 * Math.log(r.uniform()),
  },
  {
    key: 'bimodal',
    name: 'bimodal: 90% ~2 ms hits, 10% ~40 ms misses',
    draw: (r) => (r.uniform() < 0.9 ? 2 : 40) * Math.exp(0.2 * r.normal()),
  },
  { key: 'pareto-2.5', name: 'Pareto α=2.5 (min 5 ms)', draw: (r) => 5 / r.uniform() ** (1 / 2.5) },
]

/** Degradations applied to a healthy draw from onset on. */
export const SCENARIOS = [
  { key: '1.2x', slow: (x) => 1.2 * x },
  { key: '1.5x', slow: (x) => 1.5 * x },
  { key: '2x', slow: (x) => 2 * x },
  { key: '5x', slow: (x) => 5 * x },
  { key: 'tail 5% x10', slow: (x, r) => (r.uniform() < 0.05 ? 10 * x : x) },
]

/** A tracker with an injected clock, no file and a logger that counts lines by level. */
export function silentTracker(options = {}) {
  const lines = { warn: 0, error: 0, info: 0, perSample: 0 }
  const destination = {
    write(line) {
      const level = line.charCodeAt(9) // {"level":NN
      if (level === 52) lines.warn++
      else if (level === 53) lines.error++
      else lines.info++
      if (line.includes('"event":"slow-call')) {
        lines.perSample++
      }
    },
  }
  let nowMs = 0
  const clock = () => nowMs
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger: pino({ level: 'info' }, destination),
    clock,
    minLearningMs: 0, // baselines of 1,000 samples, as the tables say; maturity by time is separate
    ...options,
  })
  return {
    tracker,
    lines,
    advance: (ms) => {
      nowMs += ms
    },
    now: clock,
  }
}

/**
 * Moves an injected clock like a stream of calls arriving at `rate` per second (a Poisson
 * process): each call advances it by an exponential gap of mean 1000 / rate ms.
 */
export function poissonSteps(advance, random, rate) {
  const meanGapMs = 1000 / rate
  return () => advance(-meanGapMs * Math.log(random.uniform()))
}

/** A logger for benchmarks: nothing but perfwatch's errors, on stderr. */
export const silentLogger = { info() {}, warn() {}, error: (_obj, msg) => console.error(msg) }

/** Spins for `ms` of the clock (a CPU-bound stage); returns the spins, so none is optimised away. */
export function busyWait(ms) {
  const end = performance.now() + ms
  let spins = 0
  while (performance.now() < end) spins++
  return spins
}
