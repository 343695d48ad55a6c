/**
 * Reading what the commands are given: baseline files (through the one parser,
 * `storage/baseline-file.ts`), profile reports, and pipeline run folders (through `StageTracker`).
 */
import { statSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import {
  Baseline,
  PROFILE_REPORT_FORMAT,
  PROFILE_REPORT_VERSION,
  type ProfileReport,
  type RunAnalysis,
  type RunSummary,
  StageTracker,
} from '../index.js'
import { decodeName } from '../stages/stage-file.js'
import { readRegularFileSync } from '../storage/atomic-file.js'
import {
  type FileEntry,
  FileFormatError,
  parseBaselineFile,
  readEntry,
} from '../storage/baseline-file.js'
import { type Output, UsageError } from './command.js'

// V8 strings stop at 2^29 - 24 characters; a baseline file of 2,000 operations is 5.8 MB.
const MAX_FILE_BYTES = 512 * 1024 * 1024

/** A baseline file's readable entries (baselines and resets), in file order. */
export interface BaselineSet {
  path: string
  entries: FileEntry[]
}

/**
 * Reads a baseline file. Entries that cannot be read are reported on stderr and skipped.
 * @throws UsageError when the file cannot be read at all.
 */
export function readBaselineSet(path: string, output: Output): BaselineSet {
  let text: string
  try {
    const read = readRegularFileSync(path, MAX_FILE_BYTES)
    if (read === undefined) throw new UsageError(`${path}: no such file`)
    text = read.text
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`${path}: ${(error as Error).message.replace(`${path}: `, '')}`)
  }
  let parsed: ReturnType<typeof parseBaselineFile>
  try {
    parsed = parseBaselineFile(text)
  } catch (error) {
    if (error instanceof FileFormatError) throw new UsageError(`${path} ${error.message}`)
    throw error
  }
  const entries: FileEntry[] = []
  for (const raw of parsed.entries) {
    try {
      entries.push(readEntry(raw, parsed.version, {}))
    } catch (error) {
      output.stderr(
        `perfwatch: ${path}: skipped entry ${JSON.stringify(raw.name)}: ${(error as Error).message}`,
      )
    }
  }
  return { path, entries }
}

/**
 * The profile report (`Profiler.report()`, `--profile-json`) at `path`, or undefined when the file
 * is something else (a baseline file) or cannot be read (`readBaselineSet` then says why).
 * @throws UsageError for a profile report of another version.
 */
export function readProfileReport(path: string): ProfileReport | undefined {
  let report: { format?: unknown; version?: unknown }
  try {
    const read = readRegularFileSync(path, MAX_FILE_BYTES)
    report = JSON.parse(read?.text ?? 'null') ?? {}
  } catch {
    return undefined
  }
  if (report.format !== PROFILE_REPORT_FORMAT) return undefined
  if (report.version !== PROFILE_REPORT_VERSION) {
    throw new UsageError(
      `${path}: a profile report of version ${String(report.version)}; this perfwatch reads version ${PROFILE_REPORT_VERSION}`,
    )
  }
  return report as ProfileReport
}

/** The baselines of a set (its resets left out). */
export function baselinesOf(set: BaselineSet): Baseline[] {
  return set.entries.flatMap((entry) => (entry.baseline === undefined ? [] : [entry.baseline]))
}

/** True when `path` is a folder (a run folder), false for anything else that exists. */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch (error) {
    throw new UsageError(
      `${path}: ${codeOf(error) === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`,
    )
  }
}

/** A pipeline run read from its folder, `{outputDir}/metrics/{runId}`. */
export interface Run {
  path: string
  runId: string
  stages: StageTracker
}

/**
 * Opens a StageTracker run folder.
 * @throws UsageError when it is not one, or has no readable metrics.
 */
export function openRun(path: string, output: Output): Run {
  const folder = resolve(path)
  const metrics = dirname(folder)
  if (basename(metrics) !== 'metrics') {
    throw new UsageError(
      `${path}: not a run folder: expected {outputDir}/metrics/{runId}, as StageTracker writes`,
    )
  }
  const runId = decodeName(basename(folder))
  const stages = new StageTracker({
    outputDir: dirname(metrics),
    tracker: false,
    // Metric files that cannot be read are reported (once each) and skipped.
    logger: {
      info: () => {},
      warn: (_fields: object, message: string) => output.stderr(message),
      error: (_fields: object, message: string) => output.stderr(message),
    },
  })
  try {
    stages.getRunMetrics(runId)
  } catch (error) {
    throw new UsageError(`${path}: ${(error as Error).message}`)
  }
  return { path, runId, stages }
}

/** A run's summary and analysis (against no budgets: the folder does not record them). */
export function reportOf(run: Run): { summary: RunSummary; analysis: RunAnalysis } {
  return {
    summary: run.stages.getRunSummary(run.runId),
    analysis: run.stages.analyzeRun(run.runId),
  }
}

/**
 * One baseline per stage of a run, from the durations of its successful items, so two runs
 * compare as two baseline files do. Stages with fewer than two successes are reported and left
 * out.
 */
export function runBaselines(run: Run, output: Output): Baseline[] {
  const durations = new Map<string, number[]>()
  for (const metric of run.stages.getRunMetrics(run.runId)) {
    if (metric.status !== 'success') continue
    const list = durations.get(metric.stage) ?? []
    list.push(metric.durationMs)
    durations.set(metric.stage, list)
  }
  const baselines: Baseline[] = []
  for (const [stage, list] of durations) {
    if (list.length < 2) {
      output.stderr(
        `perfwatch: ${run.path}: skipped stage ${JSON.stringify(stage)}: ${list.length} successful item, a comparison needs 2`,
      )
      continue
    }
    baselines.push(Baseline.fromSamples(stage, Float64Array.from(list)))
  }
  return baselines
}

function codeOf(error: unknown): string | undefined {
  return (error as { code?: string }).code
}
