/**
 * A profile report as text for people, pure: report in, lines out. Colour is the caller's choice
 * (`shouldUseColor()` in the profiler decides it from the terminal and `NO_COLOR`).
 */
import {
  formatBytes,
  formatCount,
  formatLatency,
  formatLatencyOrDash,
  formatPercent,
} from '../core/format.js'
import {
  LEAK_MIN_READINGS,
  type ProfileRecommendation,
  type ProfileReport,
  type StageChange,
} from './profile-report.js'

/** Options of `renderReport`. */
export interface RenderOptions {
  /** ANSI colours (headings bold, high priorities red, significant slowdowns yellow). @default false */
  color?: boolean
}

const BOLD = '\u001b[1m'
const RED = '\u001b[31m'
const YELLOW = '\u001b[33m'
const GREEN = '\u001b[32m'
const RESET = '\u001b[0m'

/** Columns are separated by this many spaces. */
const GAP = '   '

/**
 * The report as text: totals, a stage breakdown with aligned columns, services, memory, GC,
 * event loop, HTTP, leak verdict, operations, CPU, recommendations; sections without data are
 * left out. Ends with a newline.
 */
export function renderReport(report: ProfileReport, options: RenderOptions = {}): string {
  const paint =
    options.color === true
      ? (code: string, text: string) => `${code}${text}${RESET}`
      : (_: string, text: string) => text
  const heading = (text: string) => paint(BOLD, text)
  const lines: string[] = [heading('PERFORMANCE REPORT')]
  const { summary } = report
  const rate =
    summary.unitsPerSecond === null
      ? ''
      : `${GAP}Processing Rate: ${formatCount(summary.unitsPerSecond)} ${summary.unitName}/s`
  lines.push(
    `Total Duration: ${formatLatency(summary.durationMs)}${GAP}Peak Memory: ${formatBytes(summary.peakRssBytes)} RSS, ${formatBytes(summary.peakHeapBytes)} heap${rate}`,
  )
  if (report.stages.length > 0) {
    lines.push('', heading('Stage Breakdown:'))
    const changes = new Map<string, StageChange>(report.comparison?.stages.map((c) => [c.stage, c]))
    const rows = report.stages.map((s) => {
      const change = changes.get(s.stage)
      return [
        s.stage,
        formatLatency(s.totalMs),
        formatPercent(s.shareOfTotal),
        `${formatCount(s.count)} × median ${formatLatency(s.medianMs)}, p95 ${formatLatency(s.p95Ms)}`,
        change === undefined ? '' : describeChange(change, paint),
      ]
    })
    lines.push(...table(rows, 'lrrll'))
  }
  if (report.services.length > 0) {
    lines.push('', heading('External Services:'))
    lines.push(
      ...table(
        report.services.map((s) => [
          s.service,
          `${formatCount(s.calls)} ${s.calls === 1 ? 'call' : 'calls'}`,
          `avg ${formatLatency(s.averageMs)}`,
          `p95 ${formatLatency(s.p95Ms)}`,
        ]),
        'lrrr',
      ),
    )
  }
  const withMemory = report.stages.filter((s) => s.memory !== null)
  if (withMemory.length > 0) {
    lines.push('', heading('Memory by Stage:'))
    lines.push(
      ...table(
        withMemory.map((s) => {
          const m = s.memory as NonNullable<typeof s.memory>
          return [
            s.stage,
            `heap ${signed(m.heapDeltaBytes)}`,
            `peak ${formatBytes(m.heapPeakBytes)}`,
            `RSS ${signed(m.rssDeltaBytes)}`,
            `peak ${formatBytes(m.rssPeakBytes)}`,
          ]
        }),
        'lrrrr',
      ),
    )
  }
  if (report.gc !== null) {
    const gc = report.gc
    lines.push(
      '',
      `${heading('Garbage Collection:')} ${gc.count} GCs (${gc.majorCount} major), ${formatLatency(gc.totalPauseMs)} paused (${formatPercent(gc.shareOfRun)}), longest ${formatLatency(gc.longestPauseMs)}`,
    )
  }
  if (report.eventLoop !== null) {
    const delay = report.eventLoop
    lines.push(
      `${heading('Event Loop Delay:')} p50 ${formatLatency(delay.p50Ms)}, p99 ${formatLatency(delay.p99Ms)}, max ${formatLatency(delay.maxMs)}`,
    )
  }
  if (report.leak !== null) {
    const leak = report.leak
    const rate =
      leak.growthMbPerMinute === null ? '' : `, ${leak.growthMbPerMinute.toFixed(2)} MB/min`
    const text =
      leak.readings < LEAK_MIN_READINGS
        ? `no verdict, ${leak.readings} of the ${LEAK_MIN_READINGS} post-GC heap readings it needs`
        : leak.isLeak
          ? `${paint(RED, `suspected (${leak.rule})`)}, ${leak.readings} post-GC heap readings${rate}` +
            (leak.stage === null ? '' : `, while ${leak.stage} ran`)
          : `none, ${leak.readings} post-GC heap readings${rate}`
    lines.push(`${heading('Memory Leak:')} ${text}`)
  }
  if (report.http !== null && report.http.length > 0) {
    lines.push('', heading('HTTP Requests:'))
    lines.push(
      ...table(
        report.http.map((h) => [
          h.host,
          `${formatCount(h.requests)} ${h.requests === 1 ? 'request' : 'requests'}`,
          `avg ${formatLatency(h.averageMs)}`,
          `p95 ${formatLatency(h.p95Ms)}`,
          h.errors > 0 ? `${h.errors} failed` : '',
        ]),
        'lrrrl',
      ),
    )
  }
  if (report.operations.length > 0) {
    lines.push('', heading('Operations:'))
    lines.push(
      ...table(
        report.operations.map((o) => [
          o.operation,
          `${formatCount(o.count)} calls`,
          `mean ${formatLatencyOrDash(o.meanMs)}`,
          `p95 ${formatLatencyOrDash(o.p95Ms)}`,
        ]),
        'lrrr',
      ),
    )
  }
  if (report.cpu !== null && report.cpu.topFunctions.length > 0) {
    lines.push('', heading('Top Functions (self time):'))
    lines.push(
      ...table(
        report.cpu.topFunctions.map((f) => [
          f.functionName === '' ? '(anonymous)' : f.functionName,
          formatLatency(f.selfMs),
          formatPercent(f.share),
          f.url === '' ? '' : `${f.url}:${f.line + 1}`,
        ]),
        'lrrl',
      ),
    )
  }
  if (report.comparison !== null && report.comparison.peakRssChange !== null) {
    lines.push(
      '',
      `${heading('Peak Memory vs Previous Run:')} ${formatBytes(report.comparison.previousPeakRssBytes)} → ${formatBytes(summary.peakRssBytes)} (${signedPercent(report.comparison.peakRssChange)})`,
    )
  }
  if (report.recommendations.length > 0) {
    lines.push('', heading('Optimization Recommendations:'))
    for (const r of report.recommendations) lines.push(`  • ${describeRecommendation(r, paint)}`)
  }
  return `${lines.join('\n')}\n`
}

type Paint = (code: string, text: string) => string

function describeChange(change: StageChange, paint: Paint): string {
  const verdict =
    change.pValue === null
      ? 'too few items to test'
      : change.isSignificant
        ? 'significant'
        : 'not significant'
  const text = `(${signedPercent(change.change)} vs previous run, ${verdict})`
  if (!change.isSignificant) return text
  // Stryker disable next-line EqualityOperator: a significant change moved the median by 5 % or more, never 0
  return paint(change.change > 0 ? YELLOW : GREEN, text)
}

function describeRecommendation(r: ProfileRecommendation, paint: Paint): string {
  return r.priority === 'high' ? paint(RED, r.message) : r.message
}

/** `+12.0MB`, `-3.1MB`, `+0B`. */
function signed(bytes: number): string {
  return bytes < 0 ? formatBytes(bytes) : `+${formatBytes(bytes)}`
}

/** `+35%`, `-4%`. */
function signedPercent(ratio: number): string {
  const percent = Math.round(ratio * 100)
  return percent < 0 ? `${percent}%` : `+${percent}%`
}

/**
 * Rows as lines indented by two spaces, each column but the last padded to its widest cell,
 * right-aligned where `align` has an `r` at its index (`'lrrl'`), columns three spaces apart,
 * trailing spaces trimmed. Only a row's last cell may carry colour codes (they have no width).
 */
function table(rows: readonly string[][], align: string): string[] {
  const last = (rows[0] as string[]).length - 1
  const widths = (rows[0] as string[]).map((_, c) =>
    Math.max(...rows.map((row) => (row[c] as string).length)),
  )
  return rows.map((row) =>
    `  ${row
      .map((cell, c) => {
        if (c === last) return cell
        const padding = ' '.repeat((widths[c] as number) - cell.length)
        return align[c] === 'r' ? padding + cell : cell + padding
      })
      .join(GAP)}`.trimEnd(),
  )
}
