/**
 * The stage metric file, `{outputDir}/metrics/{runId}/{itemId}_{stage}.json`: its names and its
 * format (docs/file-format.md). Pure: no I/O.
 */
import type { AttributeValue, ServiceCalls, StageMetric } from '../core/stage-metric.js'
import { isDuration } from '../core/validate.js'

/** What the `format` field of a stage metric file says. */
export const STAGE_FILE_FORMAT = 'perfwatch-stage-metric'
/** The version this perfwatch writes; it reads this one and refuses later ones. */
export const STAGE_FILE_VERSION = 1

/** Longest file or folder name, in UTF-8 bytes, that perfwatch writes (most file systems: 255). */
const MAX_NAME_BYTES = 255
/**
 * Room kept beside a metric file's name (`{itemId}_{stage}.json`) for what is added to it: a
 * collision suffix (`.<8 hex>`, 9 bytes) and, while the file is written, the temporary file's
 * suffix (`.<pid>-<thread>-<n>-<random>.<host tag>.tmp`, src/storage/atomic-file.ts: at most 61
 * bytes, with a 10-digit pid and thread id and a 16-digit counter). With only the collision
 * suffix kept, names of about 220 to 241 bytes were accepted but their temporary file could not
 * be created (ENAMETOOLONG), so their metrics were never written.
 */
const SUFFIX_BYTES = 9 + 61

// Characters a file name cannot hold as they are, encoded as %XX: path separators, `%` itself (so
// names decode back), NUL and control characters; on Windows also its reserved characters. The
// contract's run ids (`2025-11-04T14:30:00`) keep their colons on Linux and macOS.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it encodes
const POSIX_UNSAFE = /[%/\\\u0000-\u001f\u007f]/g
// Stryker disable Regex: only Windows uses it (UNSAFE below); the tests run on Linux
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it encodes
const WINDOWS_UNSAFE = /[%/\\\u0000-\u001f\u007f<>:"|?*]/g
// Stryker restore Regex
// Stryker disable next-line ConditionalExpression,StringLiteral: POSIX_UNSAFE either way off Windows
const UNSAFE = process.platform === 'win32' ? WINDOWS_UNSAFE : POSIX_UNSAFE

/**
 * An id as one path component: unsafe characters become `%XX`; `.` and `..` are encoded whole, so
 * no id names the folder itself or its parent. `decodeName` reverses it.
 */
export function encodeName(id: string): string {
  if (id === '.' || id === '..') return id.replaceAll('.', '%2E')
  return id.replace(
    UNSAFE,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  )
}

/** The id an encoded path component stands for. */
export function decodeName(name: string): string {
  return name.replace(/%([0-9A-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  )
}

/** `{itemId}_{stage}.json`, encoded; `suffix` tells apart two keys that encode alike. */
export function metricFileName(itemId: string, stage: string, suffix = ''): string {
  return `${encodeName(itemId)}_${encodeName(stage)}${suffix}.json`
}

/**
 * Whether the encoded names fit a file system's 255-byte limit: the run folder's name, and the
 * metric file's name with room for its suffixes (so at most 185 bytes).
 */
export function fitsFileSystem(runId: string, itemId: string, stage: string): boolean {
  return (
    Buffer.byteLength(encodeName(runId)) <= MAX_NAME_BYTES &&
    Buffer.byteLength(metricFileName(itemId, stage)) <= MAX_NAME_BYTES - SUFFIX_BYTES
  )
}

/** The file's text: the format and version first, then the metric. */
export function serializeStageMetric(metric: StageMetric): string {
  return `${JSON.stringify({ format: STAGE_FILE_FORMAT, version: STAGE_FILE_VERSION, ...metric }, null, 2)}\n`
}

/**
 * The metric a file holds.
 * @throws Error saying what is wrong: not JSON, another format, a later version, a missing or
 * invalid field.
 */
export function parseStageMetric(text: string): StageMetric {
  const file: unknown = JSON.parse(text)
  if (!isRecord(file) || file.format !== STAGE_FILE_FORMAT) {
    throw new Error(`not a stage metric file (format is not "${STAGE_FILE_FORMAT}")`)
  }
  if (file.version !== STAGE_FILE_VERSION) {
    throw new Error(
      `version ${JSON.stringify(file.version)}: this perfwatch reads version ${STAGE_FILE_VERSION} ` +
        '(a later version was written by a newer perfwatch: upgrade to read it)',
    )
  }
  const { runId, itemId, stage, status, error, startedAt, durationMs } = file
  const { apiCalls, itemsProcessed, attributes } = file
  check(isId(runId) && isId(itemId) && isId(stage), 'runId, itemId and stage must be strings')
  check(status === 'success' || status === 'error', 'status must be "success" or "error"')
  check(
    error === null ||
      (isRecord(error) && typeof error.name === 'string' && typeof error.message === 'string'),
    'error must be null or { name, message }',
  )
  check(typeof startedAt === 'string' && !Number.isNaN(Date.parse(startedAt)), 'invalid startedAt')
  check(isDuration(durationMs), 'durationMs must be a duration in ms')
  check(isCount(itemsProcessed), 'itemsProcessed must be a count')
  check(isRecord(apiCalls) && Object.values(apiCalls).every(isServiceCalls), 'invalid apiCalls')
  check(isRecord(attributes) && Object.values(attributes).every(isAttribute), 'invalid attributes')
  return {
    runId,
    itemId,
    stage,
    status,
    error: error === null ? null : { name: error.name as string, message: error.message as string },
    startedAt: new Date(startedAt).toISOString(), // one form, so start times sort as strings
    durationMs,
    apiCalls: apiCalls as Record<string, ServiceCalls>,
    itemsProcessed,
    attributes: attributes as Record<string, AttributeValue>,
  }
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value !== ''
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}

function isServiceCalls(value: unknown): value is ServiceCalls {
  return (
    isRecord(value) &&
    isCount(value.calls) &&
    isCount(value.inputTokens) &&
    isCount(value.outputTokens) &&
    Array.isArray(value.durationsMs) &&
    value.durationsMs.every(isDuration)
  )
}

function isAttribute(value: unknown): value is AttributeValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    Number.isFinite(value) // false for anything but a number
  )
}
