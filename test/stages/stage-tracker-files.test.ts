import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StageFileError } from '../../src/index.js'
import { WARN } from '../helpers/log-sink.js'
import { filesUnder, testStages } from '../helpers/stages.js'
import { thrownBy } from '../helpers/thrown.js'

const RUN = 'r'

describe('a metric whose file name is taken', () => {
  it.each([
    ['another run', 'other', 'a', 's'],
    ['another item', RUN, 'b', 's'],
    ['another stage', RUN, 'a', 't'],
  ])(
    'by the metric of %s leaves that file alone and takes a hashed name',
    (_, runId, itemId, stage) => {
      const { stages, outputDir } = testStages()
      const folder = join(outputDir, 'metrics', RUN)
      stages.trackStage(runId, itemId, stage, () => undefined)
      mkdirSync(folder, { recursive: true })
      const taken = join(folder, 'a_s.json')
      copyFileSync(join(outputDir, 'metrics', runId, `${itemId}_${stage}.json`), taken)
      const text = readFileSync(taken, 'utf8')
      stages.trackStage(RUN, 'a', 's', () => undefined)
      expect(readFileSync(taken, 'utf8')).toBe(text)
      const hashed = filesUnder(folder).filter((name) => /^a_s\.[0-9a-f]{8}\.json$/.test(name))
      expect(hashed).toHaveLength(1)
      expect(JSON.parse(readFileSync(join(folder, hashed[0] as string), 'utf8'))).toMatchObject({
        runId: RUN,
        itemId: 'a',
        stage: 's',
      })
    },
  )

  it('gives every key of the same name its own hash', () => {
    const { stages, outputDir } = testStages()
    const keys = [
      ['a', 'b_c_d'],
      ['a_b', 'c_d'],
      ['a_b_c', 'd'],
    ] as const
    for (const [itemId, stage] of keys) stages.trackStage(RUN, itemId, stage, () => undefined)
    expect(filesUnder(join(outputDir, 'metrics', RUN))).toHaveLength(3)
    expect(
      stages
        .getRunMetrics(RUN)
        .map((m) => `${m.itemId}|${m.stage}`)
        .sort(),
    ).toEqual(['a_b_c|d', 'a_b|c_d', 'a|b_c_d'])
  })

  // Regression: the name was read with readFileSync, which waits for a writer on a FIFO
  // forever, so the stage never returned.
  it.skipIf(process.platform === 'win32')(
    'by a FIFO does not block the stage: the FIFO is left alone, the metric takes a hashed name',
    () => {
      const { stages, outputDir } = testStages()
      const folder = join(outputDir, 'metrics', RUN)
      mkdirSync(folder, { recursive: true })
      execFileSync('mkfifo', [join(folder, 'a_s.json')])
      expect(stages.trackStage(RUN, 'a', 's', () => 'value')).toBe('value')
      expect(statSync(join(folder, 'a_s.json')).isFIFO()).toBe(true)
      expect(filesUnder(folder)).toEqual([expect.stringMatching(/^a_s\.[0-9a-f]{8}\.json$/)])
    },
  )
})

describe('reading a run', () => {
  it('skips another run’s metric in the run’s folder, saying whose it is', () => {
    const { stages, outputDir, lines } = testStages()
    stages.trackStage('other', 'b', 's', () => undefined)
    stages.trackStage(RUN, 'a', 's', () => undefined)
    const path = join(outputDir, 'metrics', RUN, 'b_s.json')
    copyFileSync(join(outputDir, 'metrics', 'other', 'b_s.json'), path)
    expect(stages.getRunMetrics(RUN).map((m) => m.itemId)).toEqual(['a'])
    const skipped = lines.filter((l) => l.code === 'PERFWATCH_STAGE_FILE')
    expect(skipped).toEqual([
      expect.objectContaining({
        level: WARN,
        path,
        msg: `perfwatch: skipped the stage metric file ${path}: it belongs to run "other". It was left as it is.`,
      }),
    ])
    expect(skipped[0]?.err).toMatchObject({
      type: 'StageFileError',
      code: 'PERFWATCH_STAGE_FILE',
      path,
      stack: expect.stringContaining('caused by: Error: it belongs to run "other"'),
    })
  })

  it('reports at most 1,000 unreadable files, each once', () => {
    const { stages, outputDir, lines } = testStages()
    stages.trackStage(RUN, 'a', 's', () => undefined)
    const folder = join(outputDir, 'metrics', RUN)
    for (let i = 0; i < 1001; i++) writeFileSync(join(folder, `bad${i}.json`), 'not json')
    expect(stages.getRunMetrics(RUN)).toHaveLength(1)
    expect(stages.getRunMetrics(RUN)).toHaveLength(1)
    expect(lines.filter((l) => l.code === 'PERFWATCH_STAGE_FILE')).toHaveLength(1000)
  })

  it('skips quietly a name whose file is gone, as one removed while the run is read', () => {
    const { stages, outputDir, lines } = testStages()
    stages.trackStage(RUN, 'a', 's', () => undefined)
    symlinkSync('gone.json', join(outputDir, 'metrics', RUN, 'b_s.json'))
    expect(stages.getRunMetrics(RUN).map((m) => m.itemId)).toEqual(['a'])
    expect(lines).toEqual([])
  })

  it('throws a StageFileError with the cause when the run folder cannot be listed', () => {
    const { stages, outputDir } = testStages()
    const folder = join(outputDir, 'metrics', RUN)
    mkdirSync(join(outputDir, 'metrics'), { recursive: true })
    writeFileSync(folder, 'a file where the run folder should be')
    const error = thrownBy(() => stages.getRunMetrics(RUN))
    expect(error).toBeInstanceOf(StageFileError)
    expect(error).toMatchObject({
      message: `${folder}: cannot be listed`,
      cause: expect.objectContaining({ code: 'ENOTDIR' }),
    })
  })
})

describe('listRuns', () => {
  it('throws a StageFileError with the cause when the metrics folder cannot be listed', () => {
    const { stages, outputDir } = testStages()
    const folder = join(outputDir, 'metrics')
    mkdirSync(outputDir, { recursive: true })
    writeFileSync(folder, 'a file where the folder should be')
    const error = thrownBy(() => stages.listRuns())
    expect(error).toBeInstanceOf(StageFileError)
    expect(error).toMatchObject({
      message: `${folder}: cannot be listed`,
      cause: expect.objectContaining({ code: 'ENOTDIR' }),
    })
  })

  it('lists folders only, and runs written at the same time by id, the last first', () => {
    const { stages, outputDir } = testStages()
    for (const run of ['b', 'c', 'a']) {
      stages.trackStage(run, 'i', 's', () => undefined)
      utimesSync(join(outputDir, 'metrics', run), 1000, 1000)
    }
    writeFileSync(join(outputDir, 'metrics', 'notes.json'), '{}')
    expect(stages.listRuns()).toEqual(['c', 'b', 'a'])
  })
})

describe('a failing write', () => {
  it.each<[string, () => string | Promise<string>]>([
    ['synchronous', () => 'value'],
    ['asynchronous', async () => 'value'],
  ])('of a %s stage is logged with the folder, and the stage is unchanged', async (_, fn) => {
    const { stages, lines, outputDir } = testStages()
    mkdirSync(outputDir, { recursive: true })
    writeFileSync(join(outputDir, 'metrics'), 'a file where the folder should be')
    expect(await stages.trackStage(RUN, 'a', 's', fn)).toBe('value')
    const folder = join(outputDir, 'metrics', RUN)
    expect(lines).toEqual([
      expect.objectContaining({
        level: WARN,
        code: 'PERFWATCH_STAGE_FILE',
        path: folder,
        suppressed: 0,
        err: expect.objectContaining({ code: 'ENOTDIR' }),
        msg: `perfwatch: could not write the metric of stage s of item a to ${folder}; the stage itself was not affected`,
      }),
    ])
  })
})
