/**
 * What `StageTracker` tells a profiler, as types, so stages/ never imports profile/: a stage
 * started (the profiler returns a token of its own) and ended (with its metric). The default
 * profiler sits on `globalThis` under a registered symbol, like the default tracker, so two copies
 * of the package share it. Nothing here runs but one property read.
 */
import type { StageMetric } from './stage-metric.js'

/** The key of the process-wide profiler on `globalThis`. */
// Stryker disable next-line StringLiteral: static (read once at load, which mutation runs share); test/profile/profiler.test.ts checks the key by name
export const DEFAULT_PROFILER_KEY = Symbol.for('perfwatch.profiler')

/**
 * The key, on `globalThis`, of the process-wide profiler when the command line or the
 * environment set it up (`profileFromArgv`, `PERFWATCH_PROFILE`): it reports at exit.
 */
// Stryker disable next-line StringLiteral: static, as above
export const RUN_PROFILER_KEY = Symbol.for('perfwatch.profileAtExit')

/**
 * What a profiler implements for `StageTracker` (`Profiler` does). `StageTracker` calls these;
 * application code does not need to.
 */
export interface StageHooks {
  /** One boolean: false makes the stage path skip the profiler entirely. */
  readonly isEnabled: boolean
  /** A stage started; what it returns comes back in `stageEnded`. */
  stageStarted(stage: string): unknown
  /** The stage ended; `thresholds` are the tracker's budgets (a `StageThresholds`). */
  stageEnded(token: unknown, metric: StageMetric, thresholds: object): void
}

/** The process-wide profiler, if `getProfiler()` created one. @internal */
export function defaultStageHooks(): StageHooks | undefined {
  return (globalThis as { [DEFAULT_PROFILER_KEY]?: StageHooks })[DEFAULT_PROFILER_KEY]
}
