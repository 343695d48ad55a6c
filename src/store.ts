import { readFileSync, renameSync } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Baseline, type BaselineJSON, type BaselineOptions } from './baseline.js'
import { BaselineFileError } from './errors.js'
import type { Logger } from './log.js'

/** The `format` field of every baseline file. */
export const FILE_FORMAT = 'perfwatch.baselines'
/** The version this code writes and reads; docs/file-format.md describes every version. */
export const FILE_VERSION = 1

/** A baseline file, version 1. */
export interface BaselineFile {
  format: typeof FILE_FORMAT
  version: typeof FILE_VERSION
  /** When the file was written, ISO-8601. */
  savedAt: string
  /** Baselines by operation name. */
  baselines: Record<string, BaselineJSON>
}

let tempFileSequence = 0

/**
 * Reads and writes one baseline file. Loading is synchronous (a restarted service has its
 * baselines before its first call); writing is debounced on an unref'd timer, asynchronous and
 * atomic (a temporary file in the same folder, fsync, then rename). A file it cannot read is
 * moved aside to `<file>.corrupt-<timestamp>`, never overwritten.
 */
export class BaselineStore {
  private timer: NodeJS.Timeout | undefined
  private writing: Promise<void> = Promise.resolve()
  private isDirty = false
  /** Set when an unreadable file could not be moved aside: then we never write over it. */
  private isReadOnly = false
  readonly path: string
  private readonly logger: Logger
  private readonly delayMs: number
  private readonly collect: () => Iterable<Baseline>

  /** @param collect returns the baselines to write, called at write time. */
  constructor(path: string, logger: Logger, delayMs: number, collect: () => Iterable<Baseline>) {
    this.path = path
    this.logger = logger
    this.delayMs = delayMs
    this.collect = collect
  }

  /** Loads the file; a missing file is normal and gives no baselines. */
  load(options: BaselineOptions): Baseline[] {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      this.isReadOnly = true
      this.logger.error(
        {
          err: new BaselineFileError(this.path, 'cannot be read', { cause: error }),
          path: this.path,
        },
        `perfwatch cannot read ${this.path}; baselines will not be saved to it`,
      )
      return []
    }
    try {
      return parseBaselineFile(this.path, text, options)
    } catch (error) {
      this.quarantine(error)
      return []
    }
  }

  /** Marks the baselines changed; they are written after `delayMs` unless more changes come. */
  scheduleSave(): void {
    if (this.isReadOnly) return
    this.isDirty = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.enqueueWrite()
    }, this.delayMs)
    this.timer.unref()
  }

  /** Resolves once every change made so far is on disk (or its failure was logged). */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    return this.isDirty ? this.enqueueWrite() : this.writing
  }

  private enqueueWrite(): Promise<void> {
    this.writing = this.writing.then(() => this.write())
    return this.writing
  }

  private async write(): Promise<void> {
    if (!this.isDirty || this.isReadOnly) return
    this.isDirty = false
    const temp = `${this.path}.${process.pid}-${++tempFileSequence}.tmp`
    try {
      const baselines: Record<string, BaselineJSON> = {}
      for (const baseline of this.collect()) baselines[baseline.operation] = baseline.toJSON()
      const file: BaselineFile = {
        format: FILE_FORMAT,
        version: FILE_VERSION,
        savedAt: new Date().toISOString(),
        baselines,
      }
      await mkdir(dirname(this.path), { recursive: true })
      const handle = await open(temp, 'w')
      try {
        await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temp, this.path)
    } catch (error) {
      this.isDirty = true // the next change retries
      await rm(temp, { force: true }).catch(() => undefined)
      this.logger.error(
        {
          err: new BaselineFileError(this.path, 'cannot be written', { cause: error }),
          path: this.path,
        },
        `perfwatch could not save baselines to ${this.path}`,
      )
    }
  }

  private quarantine(error: unknown): void {
    const movedTo = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`
    const err = new BaselineFileError(this.path, 'is not a valid baseline file', { cause: error })
    try {
      renameSync(this.path, movedTo)
    } catch (renameError) {
      this.isReadOnly = true
      this.logger.error(
        { err, path: this.path, renameError },
        `perfwatch could not read ${this.path} nor move it aside; starting without baselines and ` +
          'never writing to that file',
      )
      return
    }
    this.logger.error(
      { err, path: this.path, movedTo },
      `perfwatch could not read ${this.path} (${String((error as Error).message ?? error)}); ` +
        `moved it to ${movedTo} and started without baselines`,
    )
  }
}

/**
 * Parses and validates a whole baseline file.
 * @throws TypeError or SyntaxError describing the first problem.
 */
export function parseBaselineFile(
  path: string,
  text: string,
  options: BaselineOptions,
): Baseline[] {
  const file = JSON.parse(text) as Partial<BaselineFile> | null
  if (typeof file !== 'object' || file === null || file.format !== FILE_FORMAT) {
    throw new TypeError(`${path} is not a perfwatch baseline file (format is not "${FILE_FORMAT}")`)
  }
  if (file.version !== FILE_VERSION) {
    throw new TypeError(
      `${path} has version ${JSON.stringify(file.version)}; this perfwatch reads version ${FILE_VERSION}`,
    )
  }
  if (typeof file.baselines !== 'object' || file.baselines === null) {
    throw new TypeError(`${path} has no "baselines" object`)
  }
  return Object.entries(file.baselines).map(([name, json]) => {
    const baseline = Baseline.fromJSON(json, options)
    if (baseline.operation !== name) {
      throw new TypeError(
        `${path}: baseline under "${name}" names operation "${baseline.operation}"`,
      )
    }
    return baseline
  })
}
