import { defaultClock } from './clock.js'

/**
 * Every option's default, in one place (as pino's `pino.js`): options.ts resolves tracker
 * options against it, and `Baseline` takes its `stdDevThreshold` and `maxBaselineChange` from it
 * when called directly. Here rather than in options.ts because the core may not import the
 * runtime (docs/design.md). `logger: undefined` stands for a new pino logger per tracker;
 * `watchProcess: undefined` for true with the default clock, false with an injected one;
 * `refreshSamples` is at least `windowSize`; `thresholds: {}`: no operation has fixed budgets.
 */
export const DEFAULTS = {
  windowSize: 1000,
  baselineSamples: 100,
  storagePath: 'baselines/perfwatch.json',
  logger: undefined,
  stdDevThreshold: 2,
  enabled: true,
  clock: defaultClock,
  maxOpenTimers: 10_000,
  maxOperations: 2000,
  saveDelayMs: 1000,
  warningIntervalMs: 10_000,
  detectionSamples: 1000,
  baselinePolicy: 'frozen',
  refreshSamples: 10_000,
  maxBaselineChange: 0.1,
  detectionToleranceMs: 0.1,
  minLearningMs: 5000,
  recoveryHoldMs: 10_000,
  idleAfterMs: 60_000,
  watchProcess: undefined,
  maxFileBytes: 64 * 1024 * 1024,
  thresholds: {},
} as const
