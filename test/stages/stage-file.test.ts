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
    expect(reported.find((l) => String(l.path).endsWith('future_s.json'))?.msg).toContain(
      'newer perfwatch',
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

  it('parses exactly what it writes, and refuses fields of the wrong kind', () => {
    const { stages } = testStages()
    const ctx = stages.trackStage(RUN, 'a', 's', (ctx) => {
      ctx.recordApiCall('llm', { tokens: { input: 3, output: 4 }, durationMs: 5 })
      ctx.setAttribute('model', 'm1')
      ctx.setAttribute('cached', false)
      ctx.setAttribute('none', null)
      return ctx
    })
    const [read] = stages.getRunMetrics(RUN)
    expect(read).toEqual(ctx.end())
    const good = JSON.parse(
      readFileSync(join(stages.outputDir, 'metrics', RUN, 'a_s.json'), 'utf8'),
    )
    for (const [field, value] of [
      ['runId', ''],
      ['status', 'ok'],
      ['error', { name: 'E' }],
      ['startedAt', 'yesterday'],
      ['durationMs', -1],
      ['itemsProcessed', 1.5],
      ['apiCalls', { llm: { calls: 1, inputTokens: -1, outputTokens: 0, durationsMs: [] } }],
      ['attributes', { x: [] }],
    ] as const) {
      expect(() => parseStageMetric(JSON.stringify({ ...good, [field]: value }))).toThrow()
    }
  })
})
