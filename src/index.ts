export type {
  BaselineJSON,
  BaselineOptions,
  BaselineSummary,
  DegradationRule,
  Digest,
  RefreshOptions,
} from './baseline.js'
export { Baseline, MAX_DURATION_MS } from './baseline.js'
export type { Clock } from './clock.js'
export type { ClassDecorator, MethodDecorator, TimedOperation } from './decorators.js'
export {
  getTimedOperations,
  OPERATION_PREFIX_KEY,
  operationPrefix,
  TIMED_OPERATIONS_KEY,
} from './decorators.js'
export { getPerformanceTracker, timeOperation } from './default-tracker.js'
export type { DetectionRule, DetectorStats } from './detection.js'
export type { ErrorCode } from './errors.js'
export {
  BaselineFileError,
  ERROR_CODES,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidOptionError,
  NotEnoughSamplesError,
  PerfwatchError,
  TrackerExistsError,
  UnknownOperationError,
  UnknownTimerError,
} from './errors.js'
export type {
  BaselineEvent,
  BaselineUnstableEvent,
  DegradationEvent,
  ProcessSlowdownEvent,
  Quantiles,
  RecoveryEvent,
  StallEvent,
  TrackerEventName,
  TrackerEvents,
  TrackerListener,
} from './events.js'
export type { Logger } from './log.js'
export type { BaselineChange, OperationState, OperationStats } from './operation.js'
export type { TrackerOptions } from './options.js'
export type { BaselineFile, StoredBaseline } from './storage/baseline-file.js'
export { FILE_FORMAT, FILE_VERSION } from './storage/baseline-file.js'
export type { RecordOptions, SystemSummary } from './tracker.js'
export { OVERFLOW_OPERATION, PerformanceTracker } from './tracker.js'
