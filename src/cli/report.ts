/** `perfwatch report`: the operations of a baseline file, or the report of a pipeline run. */
import { formatLatency, formatPercent, renderReport } from '../index.js'
import {
  type Command,
  EXIT,
  formatTable,
  type Output,
  parseCommandArgs,
  UsageError,
} from './command.js'
import { isFolder, openRun, readBaselineSet, readProfileReport, reportOf } from './input.js'

/** The `format` of `perfwatch report --json`. */
export const REPORT_FORMAT = 'perfwatch.report'
export const REPORT_VERSION = 1

const HELP = `Usage: perfwatch report <baselines.json | profile.json | run folder> [--json]

Prints the operations of a baseline file (p50, p95, p99, samples, when established), a profile
report (Profiler.report(), --profile-json) as text, or the summary and analysis of a StageTracker
run folder ({outputDir}/metrics/{runId}).

Options:
  --json      one JSON document (format "perfwatch.report", version 1; a profile report as it
              is) instead of text
  -h, --help  this help

Exit codes: 0 printed, 2 bad input (unknown option, unreadable file or folder).`

export const report: Command = {
  name: 'report',
  summary: 'a baseline file’s operations, a profile report, or a pipeline run’s analysis',
  help: HELP,
  run(args, output) {
    const parsed = parseCommandArgs(report, args, { json: { type: 'boolean' } }, output)
    if (parsed === undefined) return EXIT.ok
    const [path, ...extra] = parsed.positionals
    if (path === undefined) throw new UsageError('report: needs a baseline file or a run folder')
    if (extra.length > 0) throw new UsageError(`report: one path only, got ${extra.length + 1}`)
    const isJson = parsed.values.json === true
    if (isFolder(path)) {
      reportRun(path, isJson, output)
      return EXIT.ok
    }
    const profile = readProfileReport(path)
    if (profile === undefined) reportBaselines(path, isJson, output)
    // A profile report is JSON already: --json prints it as it is.
    else output.stdout(isJson ? JSON.stringify(profile) : renderReport(profile).trimEnd())
    return EXIT.ok
  },
}

function reportBaselines(path: string, isJson: boolean, output: Output): void {
  const { entries } = readBaselineSet(path, output)
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const resets = sorted.filter((entry) => entry.baseline === undefined)
  if (isJson) {
    output.stdout(
      JSON.stringify({
        format: REPORT_FORMAT,
        version: REPORT_VERSION,
        kind: 'baselines',
        path,
        operations: sorted.flatMap(({ baseline }) =>
          baseline === undefined
            ? []
            : [{ ...baseline.toSummary(), failureCount: baseline.failureCount }],
        ),
        resets: resets.map((entry) => ({
          operation: entry.name,
          resetAt: new Date(entry.resetAt).toISOString(),
        })),
      }),
    )
    return
  }
  const baselines = sorted.length - resets.length
  output.stdout(`${path}: ${baselines} ${baselines === 1 ? 'operation' : 'operations'}`)
  if (baselines > 0) {
    output.stdout('')
    const rows = [['operation', 'samples', 'p50', 'p95', 'p99', 'established']]
    for (const { baseline } of sorted) {
      if (baseline === undefined) continue
      rows.push([
        baseline.operation,
        String(baseline.sampleCount),
        formatLatency(baseline.p50),
        formatLatency(baseline.p95),
        formatLatency(baseline.p99),
        baseline.establishedAt,
      ])
    }
    for (const line of formatTable(rows)) output.stdout(line)
  }
  if (resets.length > 0) {
    output.stdout('')
    output.stdout('Reset, not learned again:')
    for (const entry of resets) {
      output.stdout(`  ${entry.name} (reset at ${new Date(entry.resetAt).toISOString()})`)
    }
  }
}

function reportRun(path: string, isJson: boolean, output: Output): void {
  const run = openRun(path, output)
  const { summary, analysis } = reportOf(run)
  if (isJson) {
    output.stdout(
      JSON.stringify({
        format: REPORT_FORMAT,
        version: REPORT_VERSION,
        kind: 'run',
        summary,
        analysis,
      }),
    )
    return
  }
  const rate = summary.itemsPerSecond === null ? '-' : summary.itemsPerSecond.toFixed(1)
  output.stdout(
    `Run ${summary.runId}: ${summary.itemCount} items, ${summary.metricCount} stage metrics, ` +
      `wall time ${formatLatency(summary.wallTimeMs)}, ${rate} items/s, ${summary.errorCount} errors`,
  )
  output.stdout('')
  const rows = [['stage', 'items', 'average', 'p95', 'share', 'success']]
  for (const stage of Object.values(summary.stages)) {
    rows.push([
      stage.stage,
      String(stage.itemCount),
      formatLatency(stage.averageMs),
      formatLatency(stage.p95Ms),
      formatPercent(analysis.stages[stage.stage]?.shareOfTotal ?? 0),
      formatPercent(stage.successRate),
    ])
  }
  for (const line of formatTable(rows)) output.stdout(`  ${line}`)
  output.stdout('')
  output.stdout(analysis.bottlenecks.length === 0 ? 'Bottlenecks: none' : 'Bottlenecks, by impact:')
  for (const b of analysis.bottlenecks) {
    output.stdout(
      `  ${b.stage}: ${b.reasons.join(' + ')}, impact ${formatLatency(b.impactMs)}, ` +
        `${formatPercent(b.shareOfTotal)} of stage time, p95 ${formatLatency(b.p95Ms)}`,
    )
  }
  output.stdout(
    analysis.recommendations.length === 0 ? 'Recommendations: none' : 'Recommendations:',
  )
  for (const r of analysis.recommendations) output.stdout(`  [${r.priority}] ${r.message}`)
}
