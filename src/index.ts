export type {
  BaselineJSON,
  BaselineOptions,
  BaselineSummary,
  DegradationRule,
  RefreshOptions,
} from './core/baseline.js'
export { Baseline } from './core/baseline.js'
export type { Clock } from './core/clock.js'
export type { DetectionRule, DetectorStats } from './core/detection.js'
export type { Digest } from './core/digest.js'
export type { ErrorCode } from './core/errors.js'
export {
  API_ERROR_CODES,
  BaselineFileError,
  ERROR_CODES,
  HistoryDriverError,
  HistoryFileError,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidOptionError,
  NotEnoughSamplesError,
  PerfwatchError,
  StageFileError,
  TrackerExistsError,
  UnknownOperationError,
  UnknownRouteError,
  UnknownRunError,
  UnknownStageError,
  UnknownTimerError,
  WARNING_CODES,
} from './core/errors.js'
export { formatBytes, formatLatency, formatPercent } from './core/format.js'
export type { Logger } from './core/logger.js'
export type { StageHooks } from './core/profile-hooks.js'
export type {
  BaselineChange,
  BaselineEvent,
  BaselineUnstableEvent,
  DegradationEvent,
  DurationThresholdEvent,
  ErrorRateThresholdEvent,
  OperationState,
  OperationStats,
  OperationThresholds,
  ProcessSlowdownEvent,
  Quantiles,
  RecommendedThresholds,
  RecoveryEvent,
  StallEvent,
  SystemSummary,
  ThresholdBasis,
  ThresholdEvent,
  ThresholdViolations,
  TrackerEventName,
  TrackerEvents,
  TrackerListener,
} from './core/snapshot.js'
export type {
  AttributeValue,
  ServiceCalls,
  StageMetric,
  TokenCounts,
} from './core/stage-metric.js'
export { MIN_ERROR_RATE_SAMPLES } from './core/thresholds.js'
export { MAX_DURATION_MS } from './core/validate.js'
export type {
  ClassDecorator,
  MethodDecorator,
  OperationPrefixDecorator,
  TimedOperation,
  TimeOperationDecorator,
} from './decorators.js'
export {
  getTimedOperations,
  OPERATION_PREFIX_KEY,
  operationPrefix,
  TIMED_OPERATIONS_KEY,
} from './decorators.js'
export { getPerformanceTracker, timeOperation } from './default-tracker.js'
export type { TrackerOptions } from './options.js'
export type { ProfileArgs } from './profile/argv.js'
export { profileOptionsFromArgv } from './profile/argv.js'
export { profileFromArgv } from './profile/at-exit.js'
export type { ProfilerOptions, ReportOptions } from './profile/profiler.js'
export { getProfiler, Profiler, shouldUseColor } from './profile/profiler.js'
export type {
  CpuFunction,
  EventLoopFigures,
  GcFigures,
  HostProfile,
  LeakVerdict,
  OperationFigures,
  ProfileComparison,
  ProfileDetail,
  ProfileRecommendation,
  ProfileRecommendationKind,
  ProfileReport,
  ServiceProfile,
  StageChange,
  StageMemory,
  StageProfile,
} from './report/profile-report.js'
export {
  PROFILE_DETAILS,
  PROFILE_REPORT_FORMAT,
  PROFILE_REPORT_VERSION,
} from './report/profile-report.js'
export type { RenderOptions } from './report/render.js'
export { renderReport } from './report/render.js'
export type {
  Bottleneck,
  BottleneckReason,
  Budget,
  Recommendation,
  RecommendationKind,
  RunAnalysis,
  StageAnalysis,
  StageThresholds,
} from './report/run-analysis.js'
export type { ResponseTimes, RunSummary, StageStatistics } from './report/stage-statistics.js'
export type { ApiCall, EndOptions, StageContext } from './stages/stage-context.js'
export { currentStage } from './stages/stage-context.js'
export { STAGE_FILE_FORMAT, STAGE_FILE_VERSION } from './stages/stage-file.js'
export type { CsvExport, StageThresholdEvent, StageTrackerOptions } from './stages/stage-tracker.js'
export { StageTracker } from './stages/stage-tracker.js'
export type { BaselineFile, StoredBaseline } from './storage/baseline-file.js'
export { FILE_FORMAT, FILE_VERSION } from './storage/baseline-file.js'
export type { RecordOptions, SampleBatch } from './tracker.js'
export { OVERFLOW_OPERATION, PerformanceTracker } from './tracker.js'

// PERFWATCH_PROFILE profiles the program without code: read once, when perfwatch is imported.
import './profile/from-environment.js'
