/** `perfwatch compare`: the CI regression gate between two baseline files or two runs. */
import { type Baseline, formatLatency } from '../index.js'
import {
  COMPARE_FORMAT,
  COMPARE_VERSION,
  type Comparison,
  compareBaselines,
  DEFAULT_ALPHA,
  DEFAULT_MAX_SLOWDOWN,
} from '../report/compare.js'
import {
  type Command,
  EXIT,
  formatTable,
  type Output,
  parseCommandArgs,
  UsageError,
} from './command.js'
import { baselinesOf, isFolder, openRun, readBaselineSet, runBaselines } from './input.js'

const HELP = `Usage: perfwatch compare <before> <after> [--max-slowdown 10%] [--json]

Compares two baseline files (or two StageTracker run folders) operation by operation: p50, p95
and p99 before and after, and a two-sample Kolmogorov-Smirnov test on the digests. An operation
is "slower" when the difference is significant (p < ${DEFAULT_ALPHA}) and its median slowed by more
than --max-slowdown.

Options:
  --max-slowdown <percent>  largest median slowdown that passes, "10%" or "10" (default ${DEFAULT_MAX_SLOWDOWN * 100}%)
  --json                    one JSON document (format "${COMPARE_FORMAT}", version ${COMPARE_VERSION})
  -h, --help                this help

Exit codes: 0 nothing significantly slower beyond the limit, 1 something is, 2 bad input.`

export const compare: Command = {
  name: 'compare',
  summary: 'compare two baseline files or runs; exit 1 when an operation got slower (CI gate)',
  help: HELP,
  run(args, output) {
    const parsed = parseCommandArgs(
      compare,
      args,
      { 'max-slowdown': { type: 'string' }, json: { type: 'boolean' } },
      output,
    )
    if (parsed === undefined) return EXIT.ok
    const paths = parsed.positionals
    if (paths.length !== 2) {
      throw new UsageError(`compare: needs two paths, before and after, got ${paths.length}`)
    }
    const [beforePath, afterPath] = paths as [string, string]
    const maxSlowdown = parseSlowdown(parsed.values['max-slowdown'])
    const [before, after] = readBoth(beforePath, afterPath, output)
    const comparison = compareBaselines(before, after, { maxSlowdown })
    if (parsed.values.json === true) {
      output.stdout(
        JSON.stringify({
          format: COMPARE_FORMAT,
          version: COMPARE_VERSION,
          before: beforePath,
          after: afterPath,
          ...comparison,
        }),
      )
    } else {
      printComparison(beforePath, afterPath, comparison, output)
    }
    return comparison.isRegression ? EXIT.regression : EXIT.ok
  },
}

/** `10%`, `10` or `2.5%`: a percentage >= 0, as a ratio. */
function parseSlowdown(value: string | boolean | undefined): number {
  if (value === undefined) return DEFAULT_MAX_SLOWDOWN
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(String(value))
  if (match === null) {
    throw new UsageError(
      `compare: --max-slowdown must be a percentage such as 10%, got ${JSON.stringify(value)}`,
    )
  }
  return Number(match[1]) / 100
}

function readBoth(beforePath: string, afterPath: string, output: Output): [Baseline[], Baseline[]] {
  const isRun = isFolder(beforePath)
  if (isFolder(afterPath) !== isRun) {
    throw new UsageError('compare: give two baseline files or two run folders, not one of each')
  }
  if (isRun) {
    return [
      runBaselines(openRun(beforePath, output), output),
      runBaselines(openRun(afterPath, output), output),
    ]
  }
  return [
    baselinesOf(readBaselineSet(beforePath, output)),
    baselinesOf(readBaselineSet(afterPath, output)),
  ]
}

function printComparison(
  beforePath: string,
  afterPath: string,
  comparison: Comparison,
  output: Output,
): void {
  output.stdout(
    `${beforePath} -> ${afterPath}: max slowdown ${percent(comparison.maxSlowdown)} of the median, ` +
      `significance p < ${comparison.alpha}`,
  )
  output.stdout('')
  const rows = [
    [
      'operation',
      'verdict',
      'p50 before',
      'p50 after',
      'p50',
      'p95',
      'p99',
      'KS D',
      'p-value',
      'samples',
    ],
  ]
  for (const op of comparison.operations) {
    rows.push([
      op.operation,
      op.verdict,
      op.before === null ? '-' : formatLatency(op.before.p50),
      op.after === null ? '-' : formatLatency(op.after.p50),
      signed(op.change?.p50),
      signed(op.change?.p95),
      signed(op.change?.p99),
      op.test === null ? '-' : op.test.distance.toFixed(3),
      op.test === null ? '-' : pValue(op.test.pValue),
      `${op.before?.sampleCount ?? '-'}/${op.after?.sampleCount ?? '-'}`,
    ])
  }
  for (const line of formatTable(rows, 2)) output.stdout(line)
  output.stdout('')
  const { counts } = comparison
  const tally =
    `${counts.slower} slower, ${counts.faster} faster, ${counts.unchanged} unchanged, ` +
    `${counts.added} added, ${counts.removed} removed`
  const slower = comparison.operations.filter((op) => op.verdict === 'slower')
  output.stdout(
    slower.length === 0
      ? `${tally}: no regression`
      : `${tally}: REGRESSION in ${slower.map((op) => `${op.operation} (p50 ${signed(op.change?.p50)})`).join(', ')}`,
  )
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(1))}%`
}

/** `+98.2%`, `-3.0%`; `-` without a change, `new` when the before side was 0. */
function signed(change: number | null | undefined): string {
  if (change === undefined) return '-'
  if (change === null) return 'from 0'
  return `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%`
}

function pValue(p: number): string {
  return p < 0.0001 ? '<0.0001' : p.toFixed(4)
}
