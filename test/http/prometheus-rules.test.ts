// The Prometheus files of docs/prometheus/ and the exposition, checked by Prometheus's own
// promtool: the example alerts parse and fire when they should, every PromQL expression of the
// Grafana dashboard parses, and prometheusText's output passes `promtool check metrics`.
// Skipped without promtool, except under CI, where it fails; the checks below the promtool block
// need no promtool and always run.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { beforeEach, describe, expect, it } from 'vitest'
import { prometheusText } from '../../src/http/prometheus.js'
import { runsHere } from '../helpers/ci.js'
import { tempDir } from '../helpers/tmp.js'
import { testTracker } from '../helpers/tracker.js'

const PROMTOOL = process.env.PERFWATCH_PROMTOOL ?? '/usr/bin/promtool'
const hasPromtool = existsSync(PROMTOOL)
// A child process per check: left out of mutation runs (the exposition is not mutated).
const isMutationRun = process.env.PERFWATCH_MUTATION === '1'
const ALERTS = fileURLToPath(new URL('../../docs/prometheus/alerts.yml', import.meta.url))
const DASHBOARD = fileURLToPath(
  new URL('../../docs/prometheus/grafana-dashboard.json', import.meta.url),
)

const isRun = runsHere(
  hasPromtool,
  `Skipping the promtool checks: no promtool at ${PROMTOOL} (install prometheus, which brings ` +
    'it, or set PERFWATCH_PROMTOOL to its path). With CI set they fail instead.',
)

/**
 * What the dashboard's Grafana variables stand for when Prometheus parses its queries: the
 * intervals Grafana fills in and a regex for the multi-value label variables (`=~"$operation"`).
 */
const STAND_INS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1h',
  instance: '.+',
  operation: '.+',
}

/** A tracker's exposition: a baseline, failures, and a name the text format must escape. */
function exposition(): string {
  const { tracker } = testTracker({ baselineSamples: 100 })
  for (let i = 0; i < 150; i++) tracker.record('db.query', 5 + (i % 10))
  for (let i = 0; i < 20; i++) {
    tracker.record('GET /users/:id', 20 + i, { success: i % 4 !== 0 })
  }
  tracker.record('report "monthly" C:\\out\nline 2', 1234.5)
  return prometheusText(tracker)
}

describe.runIf(isRun && !isMutationRun)('promtool', () => {
  let dir: string

  beforeEach(() => {
    if (!hasPromtool) {
      throw new Error(
        `CI is set and promtool is missing at ${PROMTOOL}: the promtool checks must run in CI`,
      )
    }
    dir = tempDir()
  })

  /** Runs promtool; its exit status and everything it printed. */
  function promtool(args: string[], input?: string): { status: number | null; output: string } {
    const run = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 4000 })
    return { status: run.status, output: `${run.stdout}${run.stderr}` }
  }

  it('accepts the example alerts (promtool check rules)', () => {
    const { status, output } = promtool(['check', 'rules', ALERTS])
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') })
  })

  it('fires the example alerts when, and only when, they should (promtool test rules)', () => {
    const at = 'job="api", instance="10.0.0.1:3000"'
    const p95 = 'quantile="0.95"'
    const labels = { job: 'api', instance: '10.0.0.1:3000', operation: 'db.query' }
    const tests = join(dir, 'alerts.test.yml')
    // JSON is YAML: promtool reads this as a unit-test file. Every 15 s for 17 minutes: db.query
    // is degraded from 1m on and its p95 is 2.5 times its baseline's from 2m on; checkout is healthy
    // with its p95 at exactly twice its baseline's; idle has no recent samples (NaN), which must
    // never alert.
    writeFileSync(
      tests,
      JSON.stringify({
        rule_files: [ALERTS],
        evaluation_interval: '15s',
        tests: [
          {
            interval: '15s',
            input_series: [
              {
                series: `perfwatch_operation_degraded{${at}, operation="db.query"}`,
                values: '0x3 1x64',
              },
              {
                series: `perfwatch_operation_degraded{${at}, operation="checkout"}`,
                values: '0x67',
              },
              { series: `perfwatch_operation_degraded{${at}, operation="idle"}`, values: '0x67' },
              {
                series: `perfwatch_operation_duration_seconds{${at}, operation="db.query", ${p95}}`,
                values: '0.012x7 0.05x60',
              },
              {
                series: `perfwatch_operation_baseline_p95_seconds{${at}, operation="db.query"}`,
                values: '0.02x67',
              },
              {
                series: `perfwatch_operation_duration_seconds{${at}, operation="checkout", ${p95}}`,
                values: '0.04x67', // twice the baseline's p95: not more than twice
              },
              {
                series: `perfwatch_operation_baseline_p95_seconds{${at}, operation="checkout"}`,
                values: '0.02x67',
              },
              {
                series: `perfwatch_operation_duration_seconds{${at}, operation="idle", ${p95}}`,
                values: Array(68).fill('NaN').join(' '), // promtool has no `NaNx67`
              },
              {
                series: `perfwatch_operation_baseline_p95_seconds{${at}, operation="idle"}`,
                values: '0.001x67',
              },
            ],
            alert_rule_test: [
              // Degraded for 45 s: pending, not firing (`for: 1m`).
              { eval_time: '1m45s', alertname: 'PerfwatchOperationDegraded', exp_alerts: [] },
              {
                eval_time: '2m',
                alertname: 'PerfwatchOperationDegraded',
                exp_alerts: [
                  {
                    exp_labels: { ...labels, severity: 'warning' },
                    exp_annotations: {
                      summary: 'db.query is degraded on 10.0.0.1:3000',
                      description:
                        'perfwatch has seen a sustained slowdown of db.query on 10.0.0.1:3000 ' +
                        '(job api) for more than a minute: its recent calls are slower than its ' +
                        "baseline. The service's perfwatch degradation log line says by how much " +
                        'and since when.',
                    },
                  },
                ],
              },
              {
                eval_time: '11m45s',
                alertname: 'PerfwatchOperationP95AboveBaseline',
                exp_alerts: [],
              },
              {
                eval_time: '12m',
                alertname: 'PerfwatchOperationP95AboveBaseline',
                exp_alerts: [
                  {
                    exp_labels: { ...labels, severity: 'warning' }, // ignoring(quantile) drops it
                    exp_annotations: {
                      summary: 'db.query p95 is over twice its baseline on 10.0.0.1:3000',
                      description:
                        'The p95 of the recent calls of db.query on 10.0.0.1:3000 (job api) is ' +
                        "50ms, more than twice its baseline's p95, and has been for 10 minutes.",
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    )
    const { status, output } = promtool(['test', 'rules', tests])
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') })
  })

  it('parses every PromQL expression of the Grafana dashboard (as recording rules)', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as unknown
    const queries = dashboardQueries(dashboard)
    // The panels' targets and the variables' label_values selectors: none overlooked.
    expect(queries.length).toBeGreaterThanOrEqual(12)
    const rules = queries.map(({ where, expr }) => ({
      record: `perfwatch_dashboard:${where.replace(/[^a-zA-Z0-9_]/g, '_')}`,
      expr: expr.replace(/\$\{?(\w+)\}?/g, (variable, name: string) => {
        const standIn = STAND_INS[name]
        if (standIn === undefined) throw new Error(`${where}: no stand-in for ${variable}`)
        return standIn
      }),
    }))
    const file = join(dir, 'dashboard-rules.yml')
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'grafana-dashboard', rules }] }))
    const { status, output } = promtool(['check', 'rules', file])
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${rules.length} rules found`),
    })
  })

  it('finds no problem in the exposition (promtool check metrics)', () => {
    const text = exposition()
    expect(text).toContain('operation="report \\"monthly\\" C:\\\\out\\nline 2"')
    expect(text).toContain('perfwatch_operation_baseline_p95_seconds{operation="db.query"}')
    expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' })
  })
})

// Needs no promtool: a typo in a metric's name parses, and finds nothing.
it('names only metrics perfwatch exposes, in the dashboard and the alerts', () => {
  const exposed = new Set<string>()
  for (const [, name, type] of exposition().matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    exposed.add(name as string)
    if (type === 'summary') exposed.add(`${name}_sum`).add(`${name}_count`)
  }
  expect(exposed.size).toBeGreaterThanOrEqual(8)
  const named = (text: string) => [...new Set(text.match(/\bperfwatch_[a-z0-9_]+\b/g))]
  const dashboardNames = named(readFileSync(DASHBOARD, 'utf8'))
  expect(dashboardNames.filter((name) => !exposed.has(name))).toEqual([])
  expect(dashboardNames.length).toBeGreaterThanOrEqual(7)
  const alertNames = named(readFileSync(ALERTS, 'utf8'))
  expect(alertNames.filter((name) => !exposed.has(name))).toEqual([])
  expect(alertNames.length).toBeGreaterThanOrEqual(3)
})

it('gives the dashboard one data source variable, used by every panel and variable', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    schemaVersion: number
    templating: { list: { name: string; type: string; datasource?: unknown }[] }
    panels: { id: number; datasource: unknown; targets: { datasource: unknown }[] }[]
  }
  expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36) // panel and target datasource objects
  const variables = dashboard.templating.list
  expect(variables.map(({ name, type }) => `${name}:${type}`)).toEqual([
    'datasource:datasource',
    'instance:query',
    'operation:query',
  ])
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, in a string
  const prometheus = { type: 'prometheus', uid: '${datasource}' }
  for (const variable of variables.slice(1)) expect(variable.datasource).toEqual(prometheus)
  for (const panel of dashboard.panels) {
    expect(panel.datasource, `panel ${panel.id}`).toEqual(prometheus)
    for (const target of panel.targets) expect(target.datasource).toEqual(prometheus)
  }
  expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length)
})

/**
 * Every PromQL expression of a Grafana dashboard: each panel target's `expr` (rows' nested panels
 * too) and the selector of each query variable's `label_values(selector, label)`, named by where
 * it was found.
 */
function dashboardQueries(dashboard: unknown): { where: string; expr: string }[] {
  const found: { where: string; expr: string }[] = []
  const board = dashboard as {
    panels?: Panel[]
    templating?: { list?: { name: string; query?: string | { query?: string } }[] }
  }
  interface Panel {
    id: number
    panels?: Panel[]
    targets?: { refId: string; expr?: string }[]
  }
  const visit = (panels: Panel[] | undefined) => {
    for (const panel of panels ?? []) {
      for (const target of panel.targets ?? []) {
        if (target.expr === undefined) throw new Error(`panel ${panel.id}: a target without expr`)
        found.push({ where: `panel_${panel.id}_${target.refId}`, expr: target.expr })
      }
      visit(panel.panels)
    }
  }
  visit(board.panels)
  for (const variable of board.templating?.list ?? []) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query
    const selector = query?.match(/^label_values\((.+),\s*\w+\)$/)?.[1]
    if (selector !== undefined) found.push({ where: `variable_${variable.name}`, expr: selector })
  }
  return found
}
