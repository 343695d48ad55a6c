/**
 * The baseline file format (docs/file-format.md), pure: text in, entries out, and back. No I/O.
 *
 * Version 2 is compact JSON with one entry per line, so a file of 2,000 mature operations is
 * 5.8 MB (docs/results/storage.md) and can be written in chunks:
 *
 *   {"format":"perfwatch.baselines","version":2,"savedAt":"…","baselines":{
 *   "db.query":{"operation":"db.query","p50":8.1,…,"digest":{"f32le":"AACAPwAAAEA…"}},
 *   "http.get":{…}
 *   },"resets":{
 *   "orders.price":{"resetAt":"2026-11-23T10:00:00.000Z"}
 *   }}
 *
 * Version 1 (pretty-printed, centroids as `[mean, count]` pairs, no resets) is still read.
 */
import { Baseline, type BaselineOptions, type BaselineSummary } from '../core/baseline.js'
import { isName, MAX_NAME_LENGTH } from '../core/validate.js'

/** The `format` field of every baseline file. */
export const FILE_FORMAT = 'perfwatch.baselines'
/** The version this code writes; it reads this one and every earlier one. */
export const FILE_VERSION = 2

/** A baseline as version 2 stores it: the summary, failures, lineage and the digest. */
export interface StoredBaseline extends Omit<BaselineSummary, 'callsPerSecond'> {
  /** Calls per second while the samples were recorded; absent when unknown. */
  callsPerSecond?: number
  failureCount: number
  /** The latest `resetBaseline` or `acceptCurrentAsBaseline` this baseline was learned after. */
  resetAt?: string
  /** Centroids `[mean0, count0, mean1, …]` as little-endian float32, base64. */
  digest: { f32le: string }
}

/** A baseline file, version 2. */
export interface BaselineFile {
  format: typeof FILE_FORMAT
  version: typeof FILE_VERSION
  /** When the file was written, ISO-8601. */
  savedAt: string
  /** Baselines by operation name. */
  baselines: Record<string, StoredBaseline>
  /** Operations whose baseline was reset and not learned again yet, by name. */
  resets: Record<string, { resetAt: string }>
}

/**
 * One operation's entry: its baseline, or, after a reset not yet learned again, none (a
 * tombstone, so other writers of the file learn of the reset). `resetAt` is the time (ms since
 * the epoch) of the latest reset or accept the entry descends from, 0 when there was none.
 */
export interface FileEntry {
  name: string
  baseline: Baseline | undefined
  resetAt: number
}

/**
 * Whether `a` replaces `b` (two entries of one operation from different writers): the one after
 * the later operator action wins, then the later change. Ties keep `b`.
 */
export function isNewer(a: FileEntry, b: FileEntry): boolean {
  return a.resetAt > b.resetAt || (a.resetAt === b.resetAt && changedAt(a) > changedAt(b))
}

function changedAt(entry: FileEntry): number {
  return entry.baseline === undefined ? entry.resetAt : Date.parse(entry.baseline.establishedAt)
}

/** The whole file cannot be read: not JSON, not a baseline file, or a version this code lacks. */
export class FileFormatError extends TypeError {
  /** True for a file written by a newer perfwatch: it must be left alone, not moved aside. */
  readonly isNewer: boolean

  constructor(message: string, isNewer = false) {
    super(message)
    this.name = 'FileFormatError'
    this.isNewer = isNewer
  }
}

/** One entry as found: its name, and its value parsed or still as text (a version 2 line). */
export interface RawEntry {
  name: string
  isReset: boolean
  value?: unknown
  text?: string
}

/** A file's entries, not checked yet: `readEntry` checks them one by one. */
export interface ParsedFile {
  version: number
  entries: RawEntry[]
}

/** An entry that could not be read, and why. */
export interface InvalidEntry {
  name: string
  reason: string
}

/**
 * Splits the document into entries and checks its header. The layout this version writes is
 * split by lines, leaving each entry's value as text: parsing it is then `readEntry`'s, one entry
 * at a time, so a large file never blocks the event loop in one piece (and an entry line that is
 * not JSON costs only that entry). Any other layout is parsed whole.
 * @throws FileFormatError when the file as a whole cannot be read.
 */
export function parseBaselineFile(text: string): ParsedFile {
  return splitLines(text) ?? parseWhole(text)
}

const HEAD = /^\{"format":"perfwatch\.baselines","version":2,"savedAt":"[^"\\]*","baselines":\{$/
const KEY = /^"(?:[^"\\]|\\.)*":/

function splitLines(text: string): ParsedFile | undefined {
  const lines = text.split('\n')
  const middle = lines.indexOf(FILE_MIDDLE.trim())
  if (
    !HEAD.test(lines[0] as string) ||
    middle === -1 ||
    lines.at(-2) !== '}}' ||
    lines.at(-1) !== ''
  ) {
    return undefined
  }
  const entries: RawEntry[] = []
  for (let i = 1; i < lines.length - 2; i++) {
    const line = lines[i] as string
    if (i === middle || line === '') continue
    const key = KEY.exec(line)?.[0]
    if (key === undefined) return undefined
    const end = line.endsWith(',') ? line.length - 1 : line.length
    entries.push({
      name: JSON.parse(key.slice(0, -1)) as string,
      // Stryker disable next-line EqualityOperator: i === middle was skipped above, so >= is >
      isReset: i > middle,
      text: line.slice(key.length, end),
    })
  }
  return { version: FILE_VERSION, entries }
}

function parseWhole(text: string): ParsedFile {
  let file: unknown
  try {
    file = JSON.parse(text)
  } catch (error) {
    throw new FileFormatError(`is not JSON (${(error as Error).message})`)
  }
  if (!isRecord(file) || file.format !== FILE_FORMAT) {
    throw new FileFormatError(`is not a perfwatch baseline file (format is not "${FILE_FORMAT}")`)
  }
  const version = file.version
  if (version !== 1 && version !== FILE_VERSION) {
    // Stryker disable next-line EqualityOperator: version FILE_VERSION was accepted above
    const isNewer = typeof version === 'number' && version > FILE_VERSION
    throw new FileFormatError(
      `has version ${JSON.stringify(version)}; this perfwatch reads versions 1 to ${FILE_VERSION}`,
      isNewer,
    )
  }
  const baselines = file.baselines
  const resets = version === 1 ? {} : (file.resets ?? {})
  if (!isRecord(baselines)) throw new FileFormatError('has no "baselines" object')
  if (!isRecord(resets)) throw new FileFormatError('has a "resets" field that is not an object')
  const entries: RawEntry[] = []
  for (const [name, value] of Object.entries(baselines))
    entries.push({ name, isReset: false, value })
  for (const [name, value] of Object.entries(resets)) entries.push({ name, isReset: true, value })
  return { version, entries }
}

/**
 * Checks and restores one entry of a parsed file.
 * @throws TypeError saying what is wrong with it.
 */
export function readEntry(raw: RawEntry, version: number, options: BaselineOptions): FileEntry {
  const { name, isReset } = raw
  if (!isName(name)) {
    throw new TypeError(`the name is empty or longer than ${MAX_NAME_LENGTH} characters`)
  }
  const value = raw.text === undefined ? raw.value : parseValue(raw.text)
  if (!isRecord(value)) throw new TypeError('the entry is not an object')
  const resetAt = value.resetAt === undefined && !isReset ? 0 : timeOf(value.resetAt)
  if (isReset) return { name, baseline: undefined, resetAt }
  const baseline =
    version === 1
      ? Baseline.fromJSON(value, options)
      : Baseline.fromStored(value, decodeCentroids(value.digest), options)
  if (baseline.operation !== name) {
    throw new TypeError(`the entry names operation ${JSON.stringify(baseline.operation)}`)
  }
  return { name, baseline, resetAt }
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new TypeError('the entry is not JSON')
  }
}

function timeOf(value: unknown): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (!(ms > 0)) throw new TypeError('resetAt is not an ISO-8601 date')
  return ms
}

/** The first line of a file written at `savedAt`, up to the first baseline. */
export function fileHead(savedAt: Date): string {
  return `{"format":"${FILE_FORMAT}","version":${FILE_VERSION},"savedAt":"${savedAt.toISOString()}","baselines":{\n`
}

/** Between the last baseline and the first reset. */
export const FILE_MIDDLE = '\n},"resets":{\n'
/** After the last reset. */
export const FILE_TAIL = '\n}}\n'
/** Between two entries of one section. */
export const ENTRY_SEPARATOR = ',\n'

/** One entry's line (without separator): `"name":{…}`. */
export function serializeEntry(entry: FileEntry): string {
  const key = JSON.stringify(entry.name)
  const baseline = entry.baseline
  if (baseline === undefined) {
    return `${key}:{"resetAt":"${new Date(entry.resetAt).toISOString()}"}`
  }
  const { callsPerSecond, ...summary } = baseline.toSummary()
  const stored: StoredBaseline = {
    ...summary,
    ...(callsPerSecond === null ? {} : { callsPerSecond }),
    failureCount: baseline.failureCount,
    ...(entry.resetAt > 0 ? { resetAt: new Date(entry.resetAt).toISOString() } : {}),
    digest: { f32le: encodeCentroids(baseline.centroidData()) },
  }
  return `${key}:${JSON.stringify(stored)}`
}

/**
 * A whole file of `entries`, written at `savedAt`: baselines, then resets, each sorted by name
 * (as `BaselineStore` writes it, in one string).
 */
export function serializeBaselineFile(entries: readonly FileEntry[], savedAt: Date): string {
  // sort() orders strings by UTF-16 code units, as the store does
  // Stryker disable next-line EqualityOperator: names are unique, so < and <= never meet equal ones
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : 1))
  const section = (isReset: boolean) =>
    sorted
      .filter((entry) => (entry.baseline === undefined) === isReset)
      .map(serializeEntry)
      .join(ENTRY_SEPARATOR)
  return fileHead(savedAt) + section(false) + FILE_MIDDLE + section(true) + FILE_TAIL
}

// The file stores little-endian float32; on a big-endian host the bytes are swapped.
// Stryker disable next-line ConditionalExpression: true here; only a big-endian host can tell
const IS_LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f

/** Base64 of the centroids' little-endian bytes (Buffer, which is faster than btoa). */
function encodeCentroids(centroids: Float32Array): string {
  const bytes = Buffer.from(centroids.buffer, centroids.byteOffset, centroids.byteLength)
  return (IS_LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32()).toString('base64')
}

function decodeCentroids(digest: unknown): Float32Array {
  const text = isRecord(digest) ? digest.f32le : undefined
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new TypeError('digest.f32le is not a base64 string')
  }
  const bytes = Buffer.from(text, 'base64')
  if (bytes.length % 8 !== 0) throw new TypeError('digest.f32le is not [mean, count] float32 pairs')
  // Stryker disable next-line ConditionalExpression: false here; only a big-endian host can tell
  if (!IS_LITTLE_ENDIAN) bytes.swap32()
  const centroids = new Float32Array(bytes.length / 4)
  new Uint8Array(centroids.buffer).set(bytes)
  return centroids
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
