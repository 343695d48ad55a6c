import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { StageFileError } from '../../src/index.js'
import { testStages } from '../helpers/stages.js'
import { thrownBy } from '../helpers/thrown.js'
import { tempDir } from '../helpers/tmp.js'

const RUN = 'run-1'

describe('exportMetricsCsv', () => {
  it('writes one row per stage metric with the contract’s columns, services sorted', async () => {
    const { stages, clock } = testStages()
    await stages.trackStage(RUN, 'msg_001', 'extraction', async (ctx) => {
      clock.advance(1234.5678)
      ctx.recordApiCall('gemini', { tokens: { input: 1250, output: 180 } })
      ctx.recordApiCall('anthropic', { tokens: { input: 7, output: 8 } })
    })
    clock.advance(1)
    expect(() =>
      stages.trackStage(RUN, 'msg_001', 'output', () => {
        clock.advance(2)
        throw new Error('disk full')
      }),
    ).toThrow()
    const path = join(tempDir(), 'out', 'run.csv')
    const result = stages.exportMetricsCsv(RUN, path)
    const text = readFileSync(path, 'utf8')
    const rows = parse(text) as string[][]
    expect(rows[0]).toEqual([
      'run_id',
      'item_id',
      'stage',
      'duration_seconds',
      'anthropic_calls',
      'anthropic_input_tokens',
      'anthropic_output_tokens',
      'gemini_calls',
      'gemini_input_tokens',
      'gemini_output_tokens',
      'status',
      'error',
      'started_at',
    ])
    const [, extraction, output] = rows
    expect(extraction?.slice(0, 12)).toEqual([
      RUN,
      'msg_001',
      'extraction',
      '1.234568',
      '1',
      '7',
      '8',
      '1',
      '1250',
      '180',
      'success',
      '',
    ])
    expect(output?.slice(0, 12)).toEqual([
      RUN,
      'msg_001',
      'output',
      '0.002000',
      '0',
      '0',
      '0',
      '0',
      '0',
      '0',
      'error',
      'Error: disk full',
    ])
    expect(Date.parse(output?.[12] ?? '')).not.toBeNaN()
    expect(text.endsWith('\r\n')).toBe(true) // RFC 4180 line ends
    expect(result).toEqual({ path, rowCount: 2, columns: rows[0] })
  })

  it('quotes ids with commas, quotes and line breaks so a CSV parser reads them back', () => {
    const { stages } = testStages()
    const itemId = 'a, "quoted"\nitem\r\nwith breaks'
    const service = 'svc,"x"'
    stages.trackStage(RUN, itemId, 'stage;1', (ctx) => {
      ctx.recordApiCall(service)
    })
    const path = join(tempDir(), 'run.csv')
    stages.exportMetricsCsv(RUN, path)
    const [record] = parse(readFileSync(path, 'utf8'), { columns: true }) as Array<
      Record<string, string>
    >
    expect(record).toMatchObject({ item_id: itemId, stage: 'stage;1', [`${service}_calls`]: '1' })
  })

  it('throws a coded error when the file cannot be written, and for an unknown run', () => {
    const { stages } = testStages()
    stages.trackStage(RUN, 'a', 's', () => undefined)
    const folder = tempDir()
    const error = thrownBy(() => stages.exportMetricsCsv(RUN, folder))
    expect(error).toBeInstanceOf(StageFileError)
    expect(error).toMatchObject({
      code: 'PERFWATCH_STAGE_FILE',
      path: folder,
      message: `${folder}: cannot be written`,
      cause: expect.objectContaining({ code: 'EISDIR' }),
    })
    expect(() => stages.exportMetricsCsv('nope', join(folder, 'x.csv'))).toThrow(
      'No stage metrics for run "nope"',
    )
  })
})
