/**
 * Error classes thrown by perfwatch's own API. Each carries a stable `code`, so callers can
 * branch on `error.code` without parsing messages (docs/errors.md lists them all).
 */

/** Every error code perfwatch throws. */
export const ERROR_CODES = {
  unknownTimer: 'PERFWATCH_UNKNOWN_TIMER',
  invalidOption: 'PERFWATCH_INVALID_OPTION',
  invalidArgument: 'PERFWATCH_INVALID_ARGUMENT',
  invalidDuration: 'PERFWATCH_INVALID_DURATION',
  baselineFile: 'PERFWATCH_BASELINE_FILE',
  trackerExists: 'PERFWATCH_TRACKER_EXISTS',
  unknownOperation: 'PERFWATCH_UNKNOWN_OPERATION',
  notEnoughSamples: 'PERFWATCH_NOT_ENOUGH_SAMPLES',
  stageFile: 'PERFWATCH_STAGE_FILE',
  unknownRun: 'PERFWATCH_UNKNOWN_RUN',
  unknownStage: 'PERFWATCH_UNKNOWN_STAGE',
  unknownRoute: 'PERFWATCH_UNKNOWN_ROUTE',
  historyFile: 'PERFWATCH_HISTORY_FILE',
  historyDriver: 'PERFWATCH_HISTORY_DRIVER',
} as const

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES]

/**
 * Codes of what perfwatch reports but never throws: the `process.emitWarning` it emits, the
 * `code` field of its log lines about its own limits and failures, and of its lines about a
 * fixed budget exceeded (`threshold`).
 */
export const WARNING_CODES = {
  untimedMethod: 'PERFWATCH_UNTIMED_METHOD',
  internalError: 'PERFWATCH_INTERNAL_ERROR',
  tooManyOperations: 'PERFWATCH_TOO_MANY_OPERATIONS',
  timersEvicted: 'PERFWATCH_TIMERS_EVICTED',
  baselineRefused: 'PERFWATCH_BASELINE_REFUSED',
  threshold: 'PERFWATCH_THRESHOLD',
  stageEnded: 'PERFWATCH_STAGE_ENDED',
  profileRun: 'PERFWATCH_PROFILE_RUN',
  expositionFailed: 'PERFWATCH_EXPOSITION_FAILED',
} as const

/**
 * Codes of the dashboard's JSON API errors (`{ error: { code, message } }`) beyond the thrown
 * ones it passes on (`PERFWATCH_INVALID_ARGUMENT` for a bad parameter, `PERFWATCH_UNKNOWN_ROUTE`).
 */
export const API_ERROR_CODES = {
  unauthorized: 'PERFWATCH_UNAUTHORIZED',
  forbidden: 'PERFWATCH_FORBIDDEN',
  notFound: 'PERFWATCH_NOT_FOUND',
  methodNotAllowed: 'PERFWATCH_METHOD_NOT_ALLOWED',
  noHistory: 'PERFWATCH_NO_HISTORY',
  internal: 'PERFWATCH_API_FAILED',
} as const

/** Marks perfwatch's errors; `Symbol.for`, so two copies of the package recognise each other's. */
const PERFWATCH_ERROR = Symbol.for('perfwatch.error')

/**
 * Base class of perfwatch's own errors. `error instanceof PerfwatchError` is true for every error
 * perfwatch throws, including `InvalidOptionError` and `InvalidDurationError` (`RangeError`s) and
 * `InvalidArgumentError` (a `TypeError`), which keep their built-in parent for code that checks
 * that.
 */
export class PerfwatchError extends Error {
  readonly code: ErrorCode

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses inherit this method: `this` is the class on the right of `instanceof`, and they
    // keep the ordinary prototype-chain check.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being checked against
    if (this !== PerfwatchError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return (value as { [PERFWATCH_ERROR]?: unknown } | null | undefined)?.[PERFWATCH_ERROR] === true
  }

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** `endOperation` was given a timer id that is not open: never started, already ended or evicted. */
export class UnknownTimerError extends PerfwatchError {
  readonly timerId: string

  constructor(timerId: string) {
    super(
      ERROR_CODES.unknownTimer,
      `No active timer ${JSON.stringify(timerId)}: it was never started, already ended, or evicted ` +
        'because too many timers were open (see maxOpenTimers)',
    )
    this.timerId = timerId
  }
}

/** An operator action named an operation this tracker has never seen. */
export class UnknownOperationError extends PerfwatchError {
  readonly operation: string

  constructor(operation: string) {
    super(
      ERROR_CODES.unknownOperation,
      `No operation ${JSON.stringify(operation)}: it has no samples and no baseline in this tracker`,
    )
    this.operation = operation
  }
}

/** `acceptCurrentAsBaseline` found too few successful samples in the window. */
export class NotEnoughSamplesError extends PerfwatchError {
  readonly operation: string

  constructor(operation: string, have: number, need: number) {
    super(
      ERROR_CODES.notEnoughSamples,
      `${JSON.stringify(operation)} has ${have} successful samples in its window and a baseline ` +
        `needs ${need} (baselineSamples): record more calls, then accept again`,
    )
    this.operation = operation
  }
}

/** A baseline file could not be read or written; it is logged, never thrown into user code. */
export class BaselineFileError extends PerfwatchError {
  readonly path: string

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.baselineFile, `${path}: ${message}`, options)
    this.path = path
  }
}

/**
 * A stage metric file or folder could not be read or written: thrown by `StageTracker`'s readers
 * and `exportMetricsCsv`; logged, never thrown, for a metric file a stage could not write or a
 * file the statistics skipped.
 */
export class StageFileError extends PerfwatchError {
  readonly path: string

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(ERROR_CODES.stageFile, `${path}: ${message}`, options)
    this.path = path
  }
}

/** A `StageTracker` reader was asked for a run that has no stage metrics. */
export class UnknownRunError extends PerfwatchError {
  readonly runId: string

  constructor(runId: string, knownRuns: readonly string[]) {
    const shown = knownRuns.slice(0, 5).map((r) => JSON.stringify(r))
    if (knownRuns.length > 5) shown.push(`and ${knownRuns.length - 5} more`)
    const known = knownRuns.includes(runId)
      ? 'its folder has no readable metric file (each file skipped was logged with PERFWATCH_STAGE_FILE)'
      : knownRuns.length === 0
        ? 'there are no runs yet'
        : `runs with metrics, newest first: ${shown.join(', ')}`
    super(ERROR_CODES.unknownRun, `No stage metrics for run ${JSON.stringify(runId)}: ${known}`)
    this.runId = runId
  }
}

/** `getStageStatistics` was asked for a stage the run has no metrics of. */
export class UnknownStageError extends PerfwatchError {
  readonly runId: string
  readonly stage: string

  constructor(runId: string, stage: string, knownStages: readonly string[]) {
    super(
      ERROR_CODES.unknownStage,
      `Run ${JSON.stringify(runId)} has no metrics of stage ${JSON.stringify(stage)}; its stages ` +
        `are ${knownStages.map((s) => JSON.stringify(s)).join(', ')}`,
    )
    this.runId = runId
    this.stage = stage
  }
}

/** A history query named a route the history store has never recorded. */
export class UnknownRouteError extends PerfwatchError {
  readonly route: string

  constructor(route: string) {
    super(
      ERROR_CODES.unknownRoute,
      `No history for route ${describeValue(route)}: allRoutes() lists the routes recorded ` +
        "(a route is its method and template, such as 'GET /users/:id')",
    )
    this.route = route
  }
}

/**
 * The history database cannot be used: not an SQLite file, a newer schema, unreadable. Thrown
 * by `new HistoryStore` (the file is left as it is); logged, never thrown, when a flush fails.
 */
export class HistoryFileError extends PerfwatchError {
  readonly path: string

  constructor(path: string, reason: string, cause?: unknown) {
    super(ERROR_CODES.historyFile, `History database ${path} ${reason}`, { cause })
    this.path = path
  }
}

/** `new HistoryStore` could not load better-sqlite3, the optional peer it needs. */
export class HistoryDriverError extends PerfwatchError {
  constructor(cause: unknown) {
    super(
      ERROR_CODES.historyDriver,
      'perfwatch/history needs better-sqlite3 12.x, an optional peer dependency: ' +
        'npm install better-sqlite3@12 (it may build from source, which needs python3, make and a C++ compiler)',
      { cause },
    )
  }
}

/** `getPerformanceTracker(options)` was called with options after the default tracker existed. */
export class TrackerExistsError extends PerfwatchError {
  constructor() {
    super(
      ERROR_CODES.trackerExists,
      'The default tracker already exists, so these options would be ignored: pass options to the ' +
        'first getPerformanceTracker() call, before any @timeOperation method runs, or create your ' +
        'own `new PerformanceTracker(options)` and pass it to the decorator as { tracker }',
    )
  }
}

/** An option given to `new PerformanceTracker(options)` is invalid or unknown. */
export class InvalidOptionError extends RangeError {
  readonly code = ERROR_CODES.invalidOption
  /** The name of the offending option. */
  readonly option: string

  /** `windowSize must be an integer >= 2, got 0` */
  constructor(option: string, expected: string, actual: unknown)
  /** Any other message, such as `Unknown option "windowsize": did you mean windowSize?` */
  constructor(option: string, message: string)
  constructor(option: string, text: string, ...actual: unknown[]) {
    super(actual.length === 0 ? text : `${option} must be ${text}, got ${describeValue(actual[0])}`)
    this.name = 'InvalidOptionError'
    this.option = option
  }
}

/**
 * An argument of a perfwatch call is invalid: an empty operation name, a decorator on something
 * it cannot decorate, samples a baseline cannot be built from.
 */
export class InvalidArgumentError extends TypeError {
  readonly code = ERROR_CODES.invalidArgument

  /** `operation name must be a non-empty string …, got ""` */
  constructor(argument: string, expected: string, actual: unknown)
  /** Any other message, such as `@timeOperation decorates class methods only` */
  constructor(message: string)
  constructor(text: string, ...rest: unknown[]) {
    super(rest.length === 0 ? text : `${text} must be ${rest[0]}, got ${describeValue(rest[1])}`)
    this.name = 'InvalidArgumentError'
  }
}

/** A duration given to `record` is not a number in [0, 1e12) ms: NaN, infinite, negative, huge. */
export class InvalidDurationError extends RangeError {
  readonly code = ERROR_CODES.invalidDuration

  constructor(operation: string, actual: unknown) {
    super(
      `durationMs for ${JSON.stringify(operation)} must be a number in [0, 1e12) ` +
        `(milliseconds), got ${describeValue(actual)}; nothing was recorded`,
    )
    this.name = 'InvalidDurationError'
  }
}

for (const type of [
  PerfwatchError,
  InvalidOptionError,
  InvalidArgumentError,
  InvalidDurationError,
]) {
  Object.defineProperty(type.prototype, PERFWATCH_ERROR, { value: true })
}

/** A value as an error message shows it: strings quoted and cut when long, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    // A name of a megabyte must not make a message of a megabyte.
    return value.length > 80
      ? `${JSON.stringify(value.slice(0, 40))}… (${value.length} characters)`
      : JSON.stringify(value)
  }
  if (typeof value === 'function') return 'a function'
  if (value === null || typeof value !== 'object') return String(value)
  return Array.isArray(value) ? 'an array' : 'an object'
}
