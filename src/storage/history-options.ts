import type { SeverityBands } from '../core/health.js'
import type { Logger } from '../core/logger.js'
import { InvalidOptionError, type PerformanceTracker } from '../index.js'
import { isLogger, unknownOption } from '../options.js'

/** Options of `new HistoryStore(options)`. */
export interface HistoryStoreOptions {
  /** The database file; missing folders are created. @default 'baselines/history.db' */
  path?: string
  /** Rollups and raw rows older than this many days are deleted, at start and daily. @default 90 */
  retentionDays?: number
  /** Also keep one row per request in `route_metrics`. @default false */
  keepRaw?: boolean
  /** A tracker whose operations are rolled up too: their new samples are read at each flush. */
  tracker?: PerformanceTracker
  /** Where a route's severity starts, by P95 in ms. @default { warningMs: 100, slowMs: 500, criticalMs: 1000 } */
  severityBands?: Partial<SeverityBands>
  /**
   * Whether the service uses a cache, for the health score: `'auto'` treats a window without
   * any cache hit as "no cache" (its 30 % goes to latency and errors); `true` scores such a
   * window's cache 0 (a cache that stopped hitting), `false` never scores the cache.
   * @default 'auto'
   */
  usesCache?: boolean | 'auto'
  /** How often buffered requests are written. @default 1000 */
  flushIntervalMs?: number
  /** How long a write waits for another process's transaction on the same file. @default 5000 */
  busyTimeoutMs?: number
  /** Requests held while flushes fail; beyond, new ones are dropped and counted. @default 100000 */
  maxPending?: number
  /** Where failures of the store are logged (rate-limited). @default pino at info, to stdout */
  logger?: Logger
  /** Epoch ms. @default Date.now */
  clock?: () => number
}

const OPTION_NAMES = [
  'path',
  'retentionDays',
  'keepRaw',
  'tracker',
  'severityBands',
  'usesCache',
  'flushIntervalMs',
  'maxPending',
  'busyTimeoutMs',
  'logger',
  'clock',
] as const

/** The history store's options after checking, with their defaults. */
export interface ResolvedHistoryOptions {
  path: string
  retentionDays: number
  keepRaw: boolean
  tracker: PerformanceTracker | undefined
  severityBands: Partial<SeverityBands>
  usesCache: boolean | 'auto'
  flushIntervalMs: number
  maxPending: number
  busyTimeoutMs: number
  logger: Logger | undefined
  clock: () => number
}

/**
 * Checks `new HistoryStore(options)`: unknown names (with a did-you-mean), types and ranges.
 * @throws InvalidOptionError
 */
export function checkOptions(options: unknown): ResolvedHistoryOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object', options)
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) throw unknownOption(key, OPTION_NAMES)
  }
  const o = options as HistoryStoreOptions
  if (o.path !== undefined && (typeof o.path !== 'string' || o.path === '')) {
    throw new InvalidOptionError('path', 'a non-empty string', o.path)
  }
  const retentionDays = integer('retentionDays', o.retentionDays, 90, 1)
  if (o.keepRaw !== undefined && typeof o.keepRaw !== 'boolean') {
    throw new InvalidOptionError('keepRaw', 'a boolean', o.keepRaw)
  }
  if (o.tracker !== undefined && typeof o.tracker?.samplesSince !== 'function') {
    throw new InvalidOptionError('tracker', 'a PerformanceTracker', o.tracker)
  }
  const severityBands = checkBands(o.severityBands)
  if (o.usesCache !== undefined && typeof o.usesCache !== 'boolean' && o.usesCache !== 'auto') {
    throw new InvalidOptionError('usesCache', "true, false or 'auto'", o.usesCache)
  }
  if (o.logger !== undefined && !isLogger(o.logger)) {
    throw new InvalidOptionError('logger', 'a logger with info, warn and error methods', o.logger)
  }
  if (o.clock !== undefined && typeof o.clock !== 'function') {
    throw new InvalidOptionError('clock', 'a function', o.clock)
  }
  return {
    path: o.path ?? 'baselines/history.db',
    retentionDays,
    keepRaw: o.keepRaw ?? false,
    tracker: o.tracker,
    severityBands,
    usesCache: o.usesCache ?? 'auto',
    flushIntervalMs: integer('flushIntervalMs', o.flushIntervalMs, 1000, 10),
    maxPending: integer('maxPending', o.maxPending, 100_000, 1),
    busyTimeoutMs: integer('busyTimeoutMs', o.busyTimeoutMs, 5000, 0),
    logger: o.logger,
    clock: o.clock ?? Date.now,
  }
}

function integer(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new InvalidOptionError(name, `an integer >= ${min}`, value)
  }
  return value as number
}

/** The bands given, each a number of ms, in increasing order once merged with the defaults. */
function checkBands(bands: unknown): Partial<SeverityBands> {
  if (bands === undefined) return {}
  if (typeof bands !== 'object' || bands === null) {
    throw new InvalidOptionError('severityBands', 'an object', bands)
  }
  const names = ['warningMs', 'slowMs', 'criticalMs']
  for (const [key, value] of Object.entries(bands)) {
    if (!names.includes(key)) {
      throw new InvalidOptionError(
        'severityBands',
        `has an unknown key ${JSON.stringify(key)}: valid keys are ${names.join(', ')}`,
      )
    }
    if (typeof value !== 'number' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      throw new InvalidOptionError(`severityBands.${key}`, 'a number of ms >= 0', value)
    }
  }
  const merged = { warningMs: 100, slowMs: 500, criticalMs: 1000, ...bands }
  if (!(merged.warningMs <= merged.slowMs && merged.slowMs <= merged.criticalMs)) {
    throw new InvalidOptionError(
      'severityBands',
      `severityBands must be in order warningMs <= slowMs <= criticalMs, got ${merged.warningMs}, ${merged.slowMs}, ${merged.criticalMs}`,
    )
  }
  return bands as Partial<SeverityBands>
}
