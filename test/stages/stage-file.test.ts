import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { STAGE_FILE_FORMAT, StageTracker } from '../../src/index.js'
import { decodeName, encodeName, parseStageMetric } from '../../src/stages/stage-file.js'
import { WARN } from '../helpers/log-sink.js'
import { filesUnder, testStages } from '../helpers/stages.js'
import { tempDir } from '../helpers/tmp.js'

const RUN = '2025-11-04T14:30:00'

describe('file names', () => {
  it('keeps the contract’s path exactly: a run id with colons is a folder of that name', () => {
    const { stages, outputDir } = testStages()
    stages.trackStage(RUN, 'msg_001', 'extraction', () => undefined)
    expect(filesUnder(outputDir)).toEqual([`metrics/${RUN}/msg_001_extraction.json`])
  })

  it.each([
    ['../../etc/x', '..%2F..%2Fetc%2Fx'],
    ['/etc/passwd', '%2Fetc%2Fpasswd'],
    ['..', '%2E%2E'],
    ['.', '%2E'],
    ['a\\b', 'a%5Cb'],
    ['nul\u0000and\nnewline\u007f', 'nul%00and%0Anewline%7F'],
    ['100%', '100%25'],
    ['.hidden..dots', '.hidden..dots'],
    ['unicode ✓ é', 'unicode ✓ é'],
  ])('encodes %j as one path component %j and decodes it back', (id, encoded) => {
    expect(encodeName(id)).toBe(encoded)
    expect(decodeName(encodeName(id))).toBe(id)
  })

  it('takes a run folder name of 255 UTF-8 bytes and a metric file name of 185, not one more', () => {
    const { stages, outputDir, lines } = testStages()
    const run = `${'é'.repeat(127)}r` // 255 bytes
    const item = 'x'.repeat(178) // x…x_s.json: 185 bytes
    stages.trackStage(run, item, 's', () => undefined)
    expect(filesUnder(outputDir)).toEqual([`metrics/${run}/${item}_s.json`])
    for (const [runId, itemId] of [
      ['é'.repeat(128), 'a'],
      [RUN, `${item}x`],
    ] as const) {
      expect(() => stages.startStage(runId, itemId, 's')).toThrow(
        'runId, itemId and stage are too long for a file name',
      )
    }
    expect(lines).toEqual([])
  })

  // Regression: names of about 220 to 241 bytes were accepted, but the temporary file their write
  // goes through (`<name>.<pid>-<thread>-<n>-<random>.<host>.tmp`) was over 255 bytes:
  // ENAMETOOLONG, and the metric was never written.
  it('writes the metric of every key it accepts, however long, with a collision suffix too', () => {
    const { stages, outputDir, lines } = testStages()
    let accepted = 0
    for (let length = 170; length <= 250; length++) {
      const x = 'x'.repeat(length)
      try {
        stages.startStage(RUN, `${x}_y`, 's')
      } catch {
        continue // too long: refused before anything runs
      }
      stages.trackStage(RUN, `${x}_y`, 's', () => undefined) // x…x_y_s.json
      stages.trackStage(RUN, x, 'y_s', () => undefined) // the same name: gets .<8 hex>
      accepted += 2
    }
    expect(lines).toEqual([])
    expect(filesUnder(join(outputDir, 'metrics', RUN))).toHaveLength(accepted)
    expect(stages.getRunMetrics(RUN)).toHaveLength(accepted)
    expect(accepted).toBe(2 * (176 - 170 + 1)) // x…x_y_s.json has 185 bytes for 176 x
  })

  it('never writes outside outputDir, whatever the ids', () => {
    const root = tempDir()
    const outputDir = join(root, 'out', 'runs')
    const stages = new StageTracker({ outputDir, tracker: false })
    const hostile = [
      '../../etc/x',
      '/etc/passwd',
      '..',
      '.',
      `${root}/escape`,
      'a/../../b',
      '\\..\\x',
    ]
    for (const id of hostile) {
      stages.trackStage(id, id, id, () => undefined)
    }
    expect(readdirSync(root)).toEqual(['out'])
    expect(readdirSync(join(root, 'out'))).toEqual(['runs'])
    for (const file of filesUnder(outputDir)) {
      expect(resolve(outputDir, file).startsWith(`${resolve(outputDir)}/metrics/`)).toBe(true)
      expect(file.split('/')).toHaveLength(3) // metrics/<run>/<file>
    }
    expect(stages.listRuns().sort()).toEqual([...hostile].sort())
    for (const id of hostile)
      expect(stages.getRunMetrics(id)[0]).toMatchObject({ runId: id, itemId: id, stage: id })
  })
})

describe('the file', () => {
  it('starts with the documented format and version, then the metric', () => {
    const { stages, outputDir } = testStages()
    stages.trackStage(RUN, 'a', 's', () => undefined)
    const file = JSON.parse(readFileSync(join(outputDir, 'metrics', RUN, 'a_s.json'), 'utf8'))
    expect(Object.entries(file).slice(0, 3)).toEqual([
      ['format', 'perfwatch-stage-metric'],
      ['version', 1],
      ['runId', RUN],
    ])
  })
})

describe('reading metric files', () => {
  function corruptRun() {
    const setup = testStages()
    setup.stages.trackStage(RUN, 'good', 's', () => setup.clock.advance(10))
    const folder = join(setup.outputDir, 'metrics', RUN)
    writeFileSync(
      join(folder, 'torn_s.json'),
      '{"format":"perfwatch-stage-metric","version":1,"run',
    )
    writeFileSync(
      join(folder, 'future_s.json'),
      JSON.stringify({ format: STAGE_FILE_FORMAT, version: 2 }),
    )
    writeFileSync(join(folder, 'other_s.json'), JSON.stringify({ hello: 'world' }))
    writeFileSync(join(folder, 'a.json.123-1-1-x.abc.tmp'), 'a write under way')
    mkdirSync(join(folder, 'folder.json'))
    return { ...setup, folder }
  }

  it('skips a corrupt file and reports it once with its path, never deleting it', () => {
    const { stages, lines, folder } = corruptRun()
    const before = filesUnder(folder)
    expect(stages.getStageStatistics(RUN, 's')).toMatchObject({ itemCount: 1, averageMs: 10 })
    stages.getRunSummary(RUN)
    const reported = lines.filter((l) => l.code === 'PERFWATCH_STAGE_FILE')
    expect(reported.map((l) => l.path).sort()).toEqual(
      ['folder.json', 'future_s.json', 'other_s.json', 'torn_s.json'].map((f) => join(folder, f)),
    )
    expect(reported.every((l) => l.level === WARN)).toBe(true)
    const reason = (file: string) => reported.find((l) => String(l.path).endsWith(file))?.msg
    expect(reason('future_s.json')).toContain(
      'version 2: this perfwatch reads version 1 (a later version was written by a newer ' +
        'perfwatch: upgrade to read it)',
    )
    expect(reason('other_s.json')).toContain(
      'not a stage metric file (format is not "perfwatch-stage-metric")',
    )
    expect(filesUnder(folder)).toEqual(before)
  })

  it('says so when a run has files but none can be read', () => {
    const { stages, outputDir } = testStages()
    const folder = join(outputDir, 'metrics', 'broken')
    mkdirSync(folder, { recursive: true })
    writeFileSync(join(folder, 'a_s.json'), 'not json')
    expect(() => stages.getRunSummary('broken')).toThrow(
      'No stage metrics for run "broken": its folder has no readable metric file',
    )
  })

  it('does not overwrite an unreadable file in the place of a new metric', () => {
    const { stages, folder } = corruptRun()
    stages.trackStage(RUN, 'torn', 's', () => undefined)
    expect(readFileSync(join(folder, 'torn_s.json'), 'utf8')).toContain('"run')
    expect(
      stages
        .getRunMetrics(RUN)
        .map((m) => m.itemId)
        .sort(),
    ).toEqual(['good', 'torn'])
  })

  it('skips a metric that names another run, and a link to a file elsewhere', () => {
    const { stages, clock, outputDir, lines } = testStages()
    stages.trackStage('a', 'x', 's', () => clock.advance(1))
    stages.trackStage('b', 'y', 's', () => clock.advance(2))
    const b = join(outputDir, 'metrics', 'b')
    writeFileSync(
      join(b, 'copied_s.json'),
      readFileSync(join(outputDir, 'metrics', 'a', 'x_s.json')),
    )
    symlinkSync('/etc/hostname', join(b, 'link_s.json'))
    expect(stages.getRunMetrics('b').map((m) => m.itemId)).toEqual(['y'])
    expect(lines.filter((l) => l.code === 'PERFWATCH_STAGE_FILE')).toHaveLength(2)
  })

  function written() {
    const { stages } = testStages()
    const ctx = stages.trackStage(RUN, 'a', 's', (ctx) => {
      ctx.recordApiCall('llm', { tokens: { input: 3, output: 4 }, durationMs: 5 })
      ctx.addItems(2)
      ctx.setAttribute('model', 'm1')
      ctx.setAttribute('ratio', 0.25)
      ctx.setAttribute('cached', false)
      ctx.setAttribute('none', null)
      return ctx
    })
    const text = readFileSync(join(stages.outputDir, 'metrics', RUN, 'a_s.json'), 'utf8')
    return { stages, metric: ctx.end(), text, good: JSON.parse(text) }
  }

  it('parses exactly what it writes', () => {
    const { stages, metric, text } = written()
    expect(parseStageMetric(text)).toEqual(metric)
    expect(stages.getRunMetrics(RUN)).toEqual([metric])
    expect(metric.attributes).toEqual({ model: 'm1', ratio: 0.25, cached: false, none: null })
  })

  it.each([
    ['null', 'not a stage metric file (format is not "perfwatch-stage-metric")'],
    ['[]', 'not a stage metric file (format is not "perfwatch-stage-metric")'],
    ['"text"', 'not a stage metric file (format is not "perfwatch-stage-metric")'],
    ['{"hello":"world"}', 'not a stage metric file (format is not "perfwatch-stage-metric")'],
    [
      '{"format":"perfwatch-stage-metric","version":"1"}',
      'version "1": this perfwatch reads version 1 (a later version was written by a newer ' +
        'perfwatch: upgrade to read it)',
    ],
  ])('refuses %s, saying why', (text, message) => {
    expect(refusal(() => parseStageMetric(text))).toBe(message)
  })

  const ids = 'runId, itemId and stage must be strings'
  const error = 'error must be null or { name, message }'
  it.each<[string, unknown, string]>([
    ['runId', '', ids],
    ['itemId', 7, ids],
    ['stage', undefined, ids],
    ['status', 'ok', 'status must be "success" or "error"'],
    ['error', { name: 'E' }, error],
    ['error', { message: 'm' }, error],
    ['error', { name: 1, message: 'm' }, error],
    ['error', 'E: m', error],
    ['error', undefined, error],
    ['startedAt', 'yesterday', 'invalid startedAt'],
    ['startedAt', 2025, 'invalid startedAt'], // Date.parse(2025) reads the string "2025"
    ['startedAt', undefined, 'invalid startedAt'],
    ['durationMs', -1, 'durationMs must be a duration in ms'],
    ['itemsProcessed', 1.5, 'itemsProcessed must be a count'],
    [
      'apiCalls',
      { llm: { calls: 1, inputTokens: -1, outputTokens: 0, durationsMs: [] } },
      'invalid apiCalls',
    ],
    [
      'apiCalls',
      { llm: { calls: -1, inputTokens: 0, outputTokens: 0, durationsMs: [] } },
      'invalid apiCalls',
    ],
    ['apiCalls', { llm: null }, 'invalid apiCalls'],
    ['apiCalls', 5, 'invalid apiCalls'],
    ['apiCalls', null, 'invalid apiCalls'],
    ['apiCalls', [], 'invalid apiCalls'],
    ['attributes', { x: [] }, 'invalid attributes'],
    ['attributes', { x: {} }, 'invalid attributes'],
    ['attributes', 5, 'invalid attributes'],
    ['attributes', null, 'invalid attributes'],
  ])('refuses %s %j, saying why', (field, value, message) => {
    const { good } = written()
    expect(refusal(() => parseStageMetric(JSON.stringify({ ...good, [field]: value })))).toBe(
      message,
    )
  })

  it('refuses an attribute too large for a double (1e999 reads as Infinity)', () => {
    const { text } = written()
    const infinite = text.replace('"ratio": 0.25', '"ratio": 1e999')
    expect(infinite).not.toBe(text)
    expect(refusal(() => parseStageMetric(infinite))).toBe('invalid attributes')
  })
})

/** The message of what `fn` throws; undefined when it does not throw. */
function refusal(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as Error).message
  }
  return undefined
}
