import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Profiler, renderReport, StageTracker } from '../../src/index.js'
import { baselineOf, perfwatch, writeBaselines } from '../helpers/cli.js'
import { manualClock } from '../helpers/clock.js'
import { logSink } from '../helpers/log-sink.js'
import { tempDir } from '../helpers/tmp.js'

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

describe('perfwatch report <baselines.json>', () => {
  it('prints each operation with samples, p50, p95, p99 and when established, in columns', async () => {
    const path = writeBaselines(
      join(tempDir(), 'b.json'),
      [baselineOf('http.get', range(100, 101)), baselineOf('db.query', range(1, 50))],
      [{ name: 'orders.price', resetAt: Date.parse('2026-12-07T10:00:00.000Z') }],
    )
    const { status, stdout, stderr } = await perfwatch(['report', path])
    expect(status).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toBe(
      [
        `${path}: 2 operations`,
        '',
        'operation  samples    p50    p95    p99               established',
        'db.query        50   26ms   48ms   50ms  2026-12-07T11:00:00.000Z',
        'http.get       101  150ms  195ms  199ms  2026-12-07T11:00:00.000Z',
        '',
        'Reset, not learned again:',
        '  orders.price (reset at 2026-12-07T10:00:00.000Z)',
        '',
      ].join('\n'),
    )
  })

  it('prints the baselines and resets as one JSON document with --json', async () => {
    const db = baselineOf('db.query', range(1, 50))
    const path = writeBaselines(
      join(tempDir(), 'b.json'),
      [db],
      [{ name: 'orders.price', resetAt: Date.parse('2026-12-07T10:00:00.000Z') }],
    )
    const { status, stdout } = await perfwatch(['report', path, '--json'])
    expect(status).toBe(0)
    expect(JSON.parse(stdout)).toEqual({
      format: 'perfwatch.report',
      version: 1,
      kind: 'baselines',
      path,
      operations: [{ ...db.toSummary(), failureCount: 0 }],
      resets: [{ operation: 'orders.price', resetAt: '2026-12-07T10:00:00.000Z' }],
    })
  })

  it('reports an entry it cannot read on stderr and prints the others', async () => {
    const path = writeBaselines(join(tempDir(), 'b.json'), [
      baselineOf('a.ok', range(1, 10)),
      baselineOf('b.bad', range(2, 10)),
    ])
    writeFileSync(path, readFileSync(path, 'utf8').replace('"p50":6.5', '"p50":-1'))
    const { status, stdout, stderr } = await perfwatch(['report', path])
    expect(status).toBe(0)
    expect(stderr).toBe(
      `perfwatch: ${path}: skipped entry "b.bad": baseline b.bad: p50 is not a number in [0, 1000000000000)\n`,
    )
    expect(stdout).toContain(`${path}: 1 operation\n`)
    expect(stdout).toContain('\na.ok ')
  })

  it.each([
    ['missing.json', (path: string) => `perfwatch: ${path}: no such file or folder\n`],
    [
      'not-json.json',
      (path: string) =>
        `perfwatch: ${path} is not JSON (Unexpected token 'h', "hello" is not valid JSON)\n`,
    ],
    [
      'other.json',
      (path: string) =>
        `perfwatch: ${path} is not a perfwatch baseline file (format is not "perfwatch.baselines")\n`,
    ],
  ])('exits 2 with one line for a file it cannot read: %s', async (name, line) => {
    const dir = tempDir()
    writeFileSync(join(dir, 'not-json.json'), 'hello')
    writeFileSync(join(dir, 'other.json'), '{"format":"other"}')
    const path = join(dir, name)
    expect(await perfwatch(['report', path])).toEqual({ status: 2, stdout: '', stderr: line(path) })
  })

  it('exits 2 without a path or with two', async () => {
    expect(await perfwatch(['report'])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'perfwatch: report: needs a baseline file or a run folder\n',
    })
    expect((await perfwatch(['report', 'a', 'b'])).stderr).toBe(
      'perfwatch: report: one path only, got 2\n',
    )
  })
})

/** A run of 4 items through parse (10-13 ms) and extract (30-60 ms, one failure), on disk. */
async function recordRun(): Promise<{ folder: string; outputDir: string }> {
  const outputDir = join(tempDir(), 'runs')
  const clock = manualClock()
  const stages = new StageTracker({ outputDir, clock, tracker: false, logger: logSink().logger })
  for (let i = 0; i < 4; i++) {
    await stages.trackStage('run-1', `item${i}`, 'parse', () => clock.advance(10 + i))
    await stages
      .trackStage('run-1', `item${i}`, 'extract', async () => {
        clock.advance(30 + 10 * i)
        if (i === 3) throw new Error('rate limited')
      })
      .catch(() => {})
  }
  return { folder: join(outputDir, 'metrics', 'run-1'), outputDir }
}

describe('perfwatch report <profile.json>', () => {
  /** A profile report of two stages, as Profiler.report() writes it, at `path`. */
  function writeProfile(path: string) {
    const clock = manualClock()
    const profiler = new Profiler({ enabled: true, clock, logger: logSink().logger })
    profiler.profileStage('parse', () => clock.advance(10))
    profiler.profileStage('match', () => clock.advance(30))
    profiler.stop()
    const report = profiler.report()
    writeFileSync(path, JSON.stringify(report, null, 2))
    return report
  }

  it('prints a profile report as renderReport does, without colour', async () => {
    const path = join(tempDir(), 'profile.json')
    const report = writeProfile(path)
    const { status, stdout, stderr } = await perfwatch(['report', path])
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' })
    expect(stdout).toBe(renderReport(report))
    expect(stdout).toMatch(/\n {2}parse +10ms +25\.0%/)
    expect(stdout).toMatch(/\n {2}match +30ms +75\.0%/)
  })

  it('prints it as it is with --json, and exits 2 for another version', async () => {
    const path = join(tempDir(), 'profile.json')
    const report = writeProfile(path)
    const json = await perfwatch(['report', path, '--json'])
    expect(json.status).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual(report)
    writeFileSync(path, JSON.stringify({ ...report, version: 2 }))
    expect(await perfwatch(['report', path])).toEqual({
      status: 2,
      stdout: '',
      stderr: `perfwatch: ${path}: a profile report of version 2; this perfwatch reads version 1\n`,
    })
  })
})

describe('perfwatch report <run folder>', () => {
  it('prints the run summary, the stages, bottlenecks and recommendations', async () => {
    const { folder } = await recordRun()
    const { status, stdout, stderr } = await perfwatch(['report', folder])
    expect(stderr).toBe('')
    expect(status).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toMatch(
      /^Run run-1: 4 items, 8 stage metrics, wall time \S+, [\d.]+ items\/s, 1 errors$/,
    )
    expect(lines.slice(2, 5)).toEqual([
      '  stage    items  average   p95  share  success',
      // parse 10-13 ms: 46 ms of 226 in all; extract 30-60 ms: 180 ms
      '  parse        4     12ms  13ms  20.4%   100.0%',
      '  extract      4     45ms  59ms  79.6%    75.0%',
    ])
    expect(lines).toContain('Bottlenecks, by impact:')
    expect(lines.some((l) => l.startsWith('  extract: dominant, impact '))).toBe(true)
    expect(lines).toContain('Recommendations:')
    expect(lines.some((l) => /^ {2}\[(high|medium|low)\] /.test(l))).toBe(true)
  })

  it('prints the summary and the analysis as one JSON document with --json', async () => {
    const { folder, outputDir } = await recordRun()
    const { status, stdout } = await perfwatch(['report', folder, '--json'])
    expect(status).toBe(0)
    const report = JSON.parse(stdout)
    const stages = new StageTracker({ outputDir, tracker: false, logger: logSink().logger })
    expect(report).toMatchObject({ format: 'perfwatch.report', version: 1, kind: 'run' })
    expect(report.summary).toEqual(stages.getRunSummary('run-1'))
    const { generatedAt: _, ...analysis } = stages.analyzeRun('run-1')
    expect(report.analysis).toMatchObject(analysis)
  })

  it('exits 2 for a folder that is not a run folder, or an empty run', async () => {
    const dir = tempDir()
    expect(await perfwatch(['report', dir])).toEqual({
      status: 2,
      stdout: '',
      stderr: `perfwatch: ${dir}: not a run folder: expected {outputDir}/metrics/{runId}, as StageTracker writes\n`,
    })
    const empty = join(dir, 'metrics', 'empty')
    mkdirSync(empty, { recursive: true })
    const { status, stderr } = await perfwatch(['report', empty])
    expect(status).toBe(2)
    expect(stderr).toMatch(new RegExp(`^perfwatch: ${empty}: .*"empty"`))
    expect(stderr.split('\n')).toHaveLength(2)
  })
})
