import { Counter, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { prometheusText } from '../../src/http/node.js'
import { InvalidArgumentError, type SystemSummary } from '../../src/index.js'
import { registerPerfwatchMetrics } from '../../src/integrations/prom-client.js'
import { runsHere } from '../helpers/ci.js'
import {
  hasPrometheusParser,
  NO_PARSER_MESSAGE,
  parsePrometheus,
} from '../helpers/prometheus-parser.js'
import { feedingTracker, testTracker } from '../helpers/tracker.js'

const withParser = it.runIf(runsHere(hasPrometheusParser, NO_PARSER_MESSAGE))

describe('registerPerfwatchMetrics', () => {
  withParser(
    "gives a prom-client registry's scrape the families prometheusText has, beside its own",
    async () => {
      const { tracker, feed } = feedingTracker({ warningIntervalMs: 0 })
      feed(3000)
      feed(2000, 1.8)
      tracker.record('a "quoted"\nname', 3, { success: false })
      const registry = new Registry()
      const own = new Counter({ name: 'app_jobs_total', help: 'Jobs.', registers: [registry] })
      own.inc(3)
      registerPerfwatchMetrics(registry, tracker)
      const scraped = parsePrometheus(await registry.metrics())
      expect(scraped.find((f) => f.name === 'app_jobs')?.samples).toEqual([
        { name: 'app_jobs_total', labels: {}, value: 3 },
      ])
      expect(scraped.filter((f) => f.name !== 'app_jobs')).toEqual(
        parsePrometheus(prometheusText(tracker)),
      )
      // the counters again in OpenMetrics, which prom-client writes with its own suffix rules
      const open = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>()
      open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
      registerPerfwatchMetrics(open, tracker)
      expect(await open.metrics()).toContain(
        'perfwatch_operation_calls_total{operation="db.query"} 5000\n',
      )
      await tracker.close()
    },
  )

  it('takes one summary of the tracker per scrape, read when scraped', async () => {
    const { tracker } = testTracker()
    let summaries = 0
    const counted = {
      getSystemSummary(): SystemSummary {
        summaries++
        return tracker.getSystemSummary()
      },
    }
    const registry = new Registry()
    const metrics = registerPerfwatchMetrics(registry, counted)
    expect(metrics.map((m) => m.name)).toContain('perfwatch_operation_degraded')
    expect(summaries).toBe(0)
    tracker.record('db.query', 5)
    expect(await registry.metrics()).toContain(
      'perfwatch_operation_calls_total{operation="db.query"} 1\n',
    )
    expect(summaries).toBe(1)
    tracker.record('db.query', 5)
    expect(await registry.metrics()).toContain(
      'perfwatch_operation_calls_total{operation="db.query"} 2\n',
    )
    expect(summaries).toBe(2)
    // resetMetrics resets prom-client's own metrics; perfwatch's counters are the tracker's
    registry.resetMetrics()
    expect(await registry.getSingleMetricAsString('perfwatch_operation_calls_total')).toContain(
      '{operation="db.query"} 2',
    )
  })

  it("serves the registry's other metrics when the tracker cannot be read, warning once", async () => {
    const { tracker } = testTracker()
    tracker.record('db.query', 5)
    let isBroken = true
    const flaky = {
      getSystemSummary(): SystemSummary {
        if (isBroken) throw new Error('summary broke')
        return tracker.getSystemSummary()
      },
    }
    const registry = new Registry()
    new Counter({ name: 'app_jobs_total', help: 'Jobs.', registers: [registry] }).inc()
    registerPerfwatchMetrics(registry, flaky)
    const warnings: Array<Error & { code?: string }> = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      for (let scrape = 0; scrape < 2; scrape++) {
        const text = await registry.metrics()
        expect(text).toContain('app_jobs_total 1\n')
        expect(text).toContain('# TYPE perfwatch_operation_calls_total counter\n')
        expect(text).not.toContain('{operation="db.query"}')
      }
      isBroken = false
      expect(await registry.metrics()).toContain(
        'perfwatch_operation_calls_total{operation="db.query"} 1\n',
      )
      isBroken = true
      await registry.metrics() // broken again after a good scrape: warned again
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on next tick
    } finally {
      process.off('warning', onWarning)
    }
    expect(warnings.map((w) => [w.code, w.message])).toEqual(
      Array(2).fill([
        'PERFWATCH_EXPOSITION_FAILED',
        'perfwatch could not read the tracker, so its metrics are left out of this scrape: Error: summary broke',
      ]),
    )
  })

  it('refuses what is no registry or no tracker, and a second registration as prom-client does', () => {
    const { tracker } = testTracker()
    expect(() => registerPerfwatchMetrics({} as never, tracker)).toThrow(InvalidArgumentError)
    expect(() => registerPerfwatchMetrics(null as never)).toThrow(
      /registry must be a prom-client Registry, got null/,
    )
    const registry = new Registry()
    expect(() => registerPerfwatchMetrics(registry, {} as never)).toThrow(
      /tracker must be a PerformanceTracker/,
    )
    expect(registry.getMetricsAsArray()).toHaveLength(0)
    registerPerfwatchMetrics(registry, tracker)
    expect(() => registerPerfwatchMetrics(registry, tracker)).toThrow(/already been registered/)
  })
})
