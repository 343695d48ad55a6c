// SKELETON: replaced by the real implementation on main shortly.

import type { SeverityBands } from '../core/health.js'
import type {
  CacheEffectiveness,
  HistoryHealth,
  HistoryOverview,
  HistoryWindow,
  RotateResult,
  RouteShare,
  RouteSummary,
  StorageInfo,
  TrendPoint,
} from '../core/history.js'
import type { Logger } from '../core/logger.js'
import type { RequestRecord, RequestSink } from '../http/request-record.js'
import type { PerformanceTracker } from '../tracker.js'

export interface HistoryStoreOptions {
  path?: string
  retentionDays?: number
  keepRaw?: boolean
  tracker?: PerformanceTracker
  severityBands?: Partial<SeverityBands>
  usesCache?: boolean | 'auto'
  flushIntervalMs?: number
  maxPending?: number
  logger?: Logger
  clock?: () => number
}

export class HistoryStore implements RequestSink {
  readonly path: string = 'baselines/history.db'
  recordRequest(_record: RequestRecord): void {}
  flush(): void {}
  close(): void {}
  rotate(_days?: number): RotateResult {
    throw new Error('skeleton')
  }
  storageInfo(): StorageInfo {
    throw new Error('skeleton')
  }
  overview(_window?: HistoryWindow): HistoryOverview {
    throw new Error('skeleton')
  }
  routeStats(_route: string, _window?: HistoryWindow): RouteSummary | undefined {
    throw new Error('skeleton')
  }
  allRoutes(_window?: HistoryWindow): RouteSummary[] {
    throw new Error('skeleton')
  }
  allOperations(_window?: HistoryWindow): RouteSummary[] {
    throw new Error('skeleton')
  }
  slowestRoutes(_limit?: number, _window?: HistoryWindow): RouteSummary[] {
    throw new Error('skeleton')
  }
  trend(_options?: { route?: string; days?: number }): TrendPoint[] {
    throw new Error('skeleton')
  }
  cacheEffectiveness(_window?: HistoryWindow): CacheEffectiveness {
    throw new Error('skeleton')
  }
  routeComparison(_window?: HistoryWindow): RouteShare[] {
    throw new Error('skeleton')
  }
  healthScore(_window?: HistoryWindow): HistoryHealth {
    throw new Error('skeleton')
  }
}
