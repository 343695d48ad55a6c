import type { FileHandle } from 'node:fs/promises'
import type { BaselineOptions } from '../core/baseline.js'
import { BaselineFileError, ERROR_CODES } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { RateLimiter } from '../core/rate-limiter.js'
import {
  acquireLock,
  type FileRead,
  keepCopySync,
  moveAsideSync,
  readRegularFile,
  readRegularFileSync,
  removeDeadWriters,
  replaceFile,
  tryLockSync,
} from './atomic-file.js'
import {
  ENTRY_SEPARATOR,
  FILE_MIDDLE,
  FILE_TAIL,
  type FileEntry,
  type FileFormatError,
  fileHead,
  type InvalidEntry,
  isNewer,
  type ParsedFile,
  parseBaselineFile,
  readEntry,
  serializeEntry,
} from './baseline-file.js'

/** What the store reads from and hands back to its tracker. */
export interface StoreSource {
  /** The tracker's entries now: its baselines, and its resets not learned again yet. */
  entries(): Iterable<FileEntry>
  /** The reset time the tracker knows for `name`, `undefined` when it has no such operation. */
  resetAtOf(name: string): number | undefined
  /** Another writer of the file reset or accepted `entry.name` after that: take its entry. */
  adopt(entry: FileEntry): void
}

export interface StoreOptions {
  saveDelayMs: number
  /** Files larger than this are not read, nor written over. */
  maxFileBytes: number
  baselineOptions: BaselineOptions
}

/** How long a save waits for another writer's lock before it gives up and retries later. */
const LOCK_WAIT_MS = 10_000
/** A lock or temporary file this old is a dead writer's, even when its death cannot be proven. */
const STALE_MS = 30_000
/** Retries after a failed save back off from `saveDelayMs` (at least 1 s) to this. */
const MAX_RETRY_MS = 300_000
const FAILURE_LOG_INTERVAL_MS = 60_000
/** Written in chunks of about this many characters (about 90 entries), the event loop running between them. */
const CHUNK_CHARS = 1 << 18
/** Entries read from a file between two turns of the event loop, when saving. */
const ENTRIES_PER_TURN = 100
/** Invalid entries named in one log line, at most. */
const LOGGED_INVALID = 20

/**
 * Reads and writes one baseline file that several trackers (processes, worker threads, or
 * trackers of one process) may share.
 *
 * Loading is synchronous (a restarted service has its baselines before its first call) and
 * takes every valid entry; an invalid entry is logged with its reason, and the file as read is
 * kept byte for byte in `<file>.rejected-<hash>` before it is ever rewritten without it.
 *
 * Saving is debounced on an unref'd timer, and runs under the file's lock: read what is on disk
 * (unless it is still what this store last wrote), merge it with the tracker's entries (per
 * operation the newer wins, see `isNewer`), hand operator actions of other writers back to the
 * tracker, and replace the file atomically. A failed save is logged (rate-limited) and retried
 * with backoff, so persistence recovers by itself once the cause is gone.
 */
export class BaselineStore {
  readonly path: string
  private readonly logger: Logger
  private readonly options: StoreOptions
  private readonly source: StoreSource
  /** The file's entries as this store last read or wrote them, and that file's identity. */
  private known = new Map<string, FileEntry>()
  private knownIdentity: string | undefined
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private isDirty = false
  private isClosed = false
  /** True while other writers' entries are handed to the tracker: its changes are in this save. */
  private isMerging = false
  private failures = 0
  private readonly failureLog = new RateLimiter(FAILURE_LOG_INTERVAL_MS)

  constructor(path: string, logger: Logger, options: StoreOptions, source: StoreSource) {
    this.path = path
    this.logger = logger
    this.options = options
    this.source = source
  }

  /**
   * Loads the file: every valid entry, in file order. A missing file is normal. A file that is
   * not a regular file, is larger than `maxFileBytes` or cannot be read is left alone; one that
   * is not a baseline file (or not JSON) is moved aside to `<file>.corrupt-<time>-<unique>`; one
   * of a newer version is left alone. Temporary and lock files of dead writers are removed first.
   */
  load(): FileEntry[] {
    removeDeadWriters(this.path, STALE_MS)
    let read: FileRead | undefined
    try {
      read = readRegularFileSync(this.path, this.options.maxFileBytes)
    } catch (error) {
      this.logError(
        { err: this.fileError('cannot be used', error), path: this.path },
        `perfwatch cannot use ${this.path} (${(error as Error).message}); it is left alone and ` +
          'baselines are kept in memory until it can be',
      )
      return []
    }
    if (read === undefined) return []
    let parsed: ParsedFile
    try {
      parsed = parseBaselineFile(read.text)
    } catch (error) {
      this.unreadableAtLoad(error as FileFormatError, read)
      return []
    }
    const entries = this.readEntries(parsed, read.text)
    this.known = new Map(entries.map((entry) => [entry.name, entry]))
    this.knownIdentity = read.identity
    return entries
  }

  /** The file's entry for `name` as last read or written, for an operation first seen now. */
  entryOf(name: string): FileEntry | undefined {
    return this.known.get(name)
  }

  /** Marks the entries changed; they are written after `saveDelayMs` unless more changes come. */
  scheduleSave(): void {
    if (this.isClosed || this.isMerging) return
    this.isDirty = true
    this.startTimer(this.options.saveDelayMs)
  }

  /** Resolves once every change made so far is on disk, or its failure was logged. */
  flush(): Promise<void> {
    this.stopTimer()
    return this.isDirty ? this.enqueueSave() : this.writing
  }

  /** Flushes, then stops: later changes are not saved, pending retries are dropped. */
  async close(): Promise<void> {
    await this.flush()
    this.isClosed = true
    this.stopTimer()
  }

  private startTimer(delayMs: number): void {
    this.stopTimer()
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.enqueueSave()
    }, delayMs)
    this.timer.unref()
  }

  private stopTimer(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private enqueueSave(): Promise<void> {
    // save() handles its own failures; the catch keeps an unforeseen one from breaking the chain.
    this.writing = this.writing.then(() => this.save()).catch(() => undefined)
    return this.writing
  }

  private async save(): Promise<void> {
    if (!this.isDirty || this.isClosed) return
    this.isDirty = false
    try {
      const lock = await acquireLock(this.path, { waitMs: LOCK_WAIT_MS, staleMs: STALE_MS })
      try {
        const merged = this.merge(await this.readForMerge())
        this.knownIdentity = await replaceFile(this.path, (handle) => writeEntries(handle, merged))
        this.known = merged
      } finally {
        lock.release()
      }
    } catch (error) {
      this.saveFailed(error)
      return
    }
    if (this.failures > 0) {
      this.logger.info(
        { path: this.path, failures: this.failures },
        `perfwatch saved baselines to ${this.path} again after ${this.failures} failed attempt(s)`,
      )
      this.failures = 0
    }
  }

  private saveFailed(error: unknown): void {
    this.isDirty = true
    this.failures++
    const retryMs = Math.min(
      MAX_RETRY_MS,
      Math.max(1000, this.options.saveDelayMs) * 2 ** Math.min(this.failures - 1, 20),
    )
    // Never closed here: close() awaits the running save before it marks the store closed.
    this.startTimer(retryMs)
    const held = this.failureLog.take(Date.now())
    if (held < 0) return
    this.logError(
      {
        err: this.fileError('cannot be written', error),
        path: this.path,
        failures: this.failures,
        suppressed: held,
        retryMs,
      },
      `perfwatch could not save baselines to ${this.path} (${(error as Error).message}); ` +
        `retrying in ${Math.round(retryMs / 1000)} s`,
    )
  }

  /**
   * The file's entries, under the lock: what this store last wrote when the file is unchanged,
   * else read again. An unreadable file is moved aside (it is ours to replace: we hold the lock).
   * @throws for a file to leave alone: not regular, too large, unreadable, or of a newer version.
   */
  private async readForMerge(): Promise<Map<string, FileEntry>> {
    const read = await readRegularFile(this.path, this.options.maxFileBytes, this.knownIdentity)
    if (read === undefined) return new Map()
    if (read.text === undefined) return this.known
    let parsed: ParsedFile
    try {
      parsed = parseBaselineFile(read.text)
    } catch (error) {
      const problem = error as FileFormatError
      if (problem.isNewer) throw new Error(`it ${problem.message}; it is left alone`)
      const movedTo = moveAsideSync(this.path, 'corrupt')
      this.logError(
        { err: this.fileError(problem.message, problem), path: this.path, movedTo },
        `perfwatch found ${this.path} unreadable (${problem.message}); moved it to ${movedTo}`,
      )
      return new Map()
    }
    const entries = await this.readEntriesSoon(parsed, read.text)
    return new Map(entries.map((entry) => [entry.name, entry]))
  }

  /** Merges the file's entries with the tracker's: per operation the newer entry wins. */
  private merge(file: Map<string, FileEntry>): Map<string, FileEntry> {
    if (file !== this.known) {
      this.isMerging = true
      try {
        for (const entry of file.values()) {
          // An operation the tracker does not have (undefined) takes nothing.
          const resetAt = this.source.resetAtOf(entry.name) ?? Number.POSITIVE_INFINITY
          if (entry.resetAt > resetAt) this.source.adopt(entry)
        }
      } finally {
        this.isMerging = false
      }
    }
    const merged = new Map(file)
    for (const entry of this.source.entries()) {
      const current = merged.get(entry.name)
      if (current === undefined || isNewer(entry, current)) merged.set(entry.name, entry)
    }
    return merged
  }

  /** Every valid entry; invalid ones are logged, and the text they came in is kept aside. */
  private readEntries(parsed: ParsedFile, text: string): FileEntry[] {
    const reading = this.readEach(parsed, text)
    for (let step = reading.next(); ; step = reading.next()) if (step.done) return step.value
  }

  /** `readEntries`, letting the event loop run every `ENTRIES_PER_TURN` entries. */
  private async readEntriesSoon(parsed: ParsedFile, text: string): Promise<FileEntry[]> {
    const reading = this.readEach(parsed, text)
    for (let step = reading.next(); ; step = reading.next()) {
      if (step.done) return step.value
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Reads the entries, pausing (yielding) every `ENTRIES_PER_TURN`; returns the valid ones. */
  private *readEach(parsed: ParsedFile, text: string): Generator<void, FileEntry[]> {
    const entries: FileEntry[] = []
    const invalid: InvalidEntry[] = []
    for (const [i, raw] of parsed.entries.entries()) {
      if (i % ENTRIES_PER_TURN === ENTRIES_PER_TURN - 1) yield
      try {
        entries.push(readEntry(raw, parsed.version, this.options.baselineOptions))
      } catch (error) {
        invalid.push({ name: raw.name, reason: (error as Error).message })
      }
    }
    if (invalid.length > 0) this.reportInvalid(invalid, text)
    return entries
  }

  private reportInvalid(invalid: InvalidEntry[], text: string): void {
    let keptAt: string | undefined
    try {
      keptAt = keepCopySync(this.path, 'rejected', text)
    } catch (error) {
      this.logError(
        { err: this.fileError('cannot be copied aside', error), path: this.path },
        `perfwatch could not keep a copy of ${this.path} with its invalid entries`,
      )
    }
    const listed = invalid
      .slice(0, LOGGED_INVALID)
      .map((entry) => `${JSON.stringify(entry.name)} (${entry.reason})`)
    const more =
      invalid.length > LOGGED_INVALID ? ` and ${invalid.length - LOGGED_INVALID} more` : ''
    this.logError(
      {
        path: this.path,
        invalid: invalid.slice(0, LOGGED_INVALID),
        invalidCount: invalid.length,
        keptAt,
      },
      `perfwatch skipped ${invalid.length} invalid baseline(s) in ${this.path}: ` +
        `${listed.join(', ')}${more}` +
        (keptAt === undefined ? '' : `; the file as read is kept at ${keptAt}`),
    )
  }

  private unreadableAtLoad(error: FileFormatError, read: FileRead): void {
    if (error.isNewer) {
      this.logError(
        { err: this.fileError(error.message, error), path: this.path },
        `perfwatch cannot read ${this.path}: it ${error.message}. It is left alone and baselines ` +
          'are kept in memory only',
      )
      return
    }
    // Moved aside under the lock, and only if it is still the file read: another writer may
    // have replaced it meanwhile. With the lock busy, or when it cannot be taken or the move
    // fails, the file is left where it is and the next save tries again.
    let movedTo: string | undefined
    try {
      const lock = tryLockSync(this.path, STALE_MS)
      if (lock !== undefined) {
        try {
          const now = readRegularFileSync(this.path, this.options.maxFileBytes)
          if (now?.identity === read.identity) movedTo = moveAsideSync(this.path, 'corrupt')
        } finally {
          lock.release()
        }
      }
    } catch {
      // Left where it is (see above).
    }
    this.logError(
      { err: this.fileError(error.message, error), path: this.path, movedTo },
      `perfwatch could not read ${this.path} (${error.message}); ` +
        (movedTo === undefined
          ? 'it will be moved aside before the next save; starting without baselines'
          : `moved it to ${movedTo} and started without baselines`),
    )
  }

  /** Every error line of the store carries `PERFWATCH_BASELINE_FILE`, with or without an `err`. */
  private logError(fields: object, message: string): void {
    this.logger.error({ code: ERROR_CODES.baselineFile, ...fields }, message)
  }

  private fileError(message: string, cause: unknown): BaselineFileError {
    return new BaselineFileError(this.path, message, { cause })
  }
}

/** Writes the entries, sorted by name, in chunks: the event loop runs between them. */
async function writeEntries(handle: FileHandle, entries: Map<string, FileEntry>): Promise<void> {
  // The keys are the entries' names; sort() orders strings by UTF-16 code units, as < does.
  const sorted = [...entries.keys()].sort().map((name) => entries.get(name) as FileEntry)
  let chunk = fileHead(new Date())
  for (const resets of [false, true]) {
    let first = true
    for (const entry of sorted) {
      if ((entry.baseline === undefined) !== resets) continue
      chunk += (first ? '' : ENTRY_SEPARATOR) + serializeEntry(entry)
      first = false
      if (chunk.length >= CHUNK_CHARS) {
        await handle.writeFile(chunk)
        chunk = ''
      }
    }
    chunk += resets ? FILE_TAIL : FILE_MIDDLE
  }
  await handle.writeFile(chunk)
}
