import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Baseline } from '../../src/index.js'
import { type FileEntry, serializeBaselineFile } from '../../src/storage/baseline-file.js'

const root = new URL('../../', import.meta.url).pathname

/** What a run of the built bin printed, and its exit code. */
export interface CliResult {
  status: number
  stdout: string
  stderr: string
}

/** Runs the built bin (`npm test` builds first): `node dist/cli/main.js ...args`. */
export function perfwatch(args: string[], cwd = root): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'dist/cli/main.js'), ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : (error as { code?: unknown }).code
        if (typeof status !== 'number') reject(error)
        else resolve({ status, stdout, stderr })
      },
    )
  })
}

/**
 * Records the operation `work` of test/fixtures/cli/record.mjs into `path`: a real CPU-bound
 * workload, `factor` times the work, through a PerformanceTracker with a storagePath.
 */
export function recordWorkload(path: string, factor = 1, samples = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(root, 'test/fixtures/cli/record.mjs'), path, String(factor), String(samples)],
      { timeout: 30_000 },
      (error) => (error === null ? resolve() : reject(error)),
    )
  })
}

/** The path of the package's root. */
export const ROOT = root

/** Writes a baseline file of `baselines` (and reset entries) at `path`, as perfwatch does. */
export function writeBaselines(
  path: string,
  baselines: Baseline[],
  resets: Array<{ name: string; resetAt: number }> = [],
): string {
  const entries: FileEntry[] = [
    ...baselines.map((baseline) => ({ name: baseline.operation, baseline, resetAt: 0 })),
    ...resets.map(({ name, resetAt }) => ({ name, baseline: undefined, resetAt })),
  ]
  writeFileSync(path, serializeBaselineFile(entries, new Date('2026-12-07T12:00:00.000Z')))
  return path
}

/** A baseline of `operation` from `values`, established at a fixed time. */
export function baselineOf(operation: string, values: number[]): Baseline {
  return Baseline.fromSamples(
    operation,
    Float64Array.from(values),
    {},
    new Date('2026-12-07T11:00:00.000Z'),
  )
}
