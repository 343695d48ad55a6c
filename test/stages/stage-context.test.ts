import { describe, expect, it } from 'vitest'
import type { StageContext } from '../../src/index.js'
import { WARN } from '../helpers/log-sink.js'
import { testStages } from '../helpers/stages.js'

const RUN = '2025-11-04T14:30:00'

/** What `fn` throws: its class name, code and message (undefined fields when it does not throw). */
function refusal(fn: () => unknown) {
  try {
    fn()
  } catch (error) {
    const { name, code, message } = error as Error & { code?: string }
    return { name, code, message }
  }
  return { name: undefined, code: undefined, message: undefined }
}

describe('refusing invalid input', () => {
  const NAME = 'a non-empty string of at most 1024 characters'
  it.each<[string, (ctx: StageContext) => unknown, string]>([
    ['an empty service', (ctx) => ctx.recordApiCall('', {}), `service must be ${NAME}, got ""`],
    [
      'a call that is no object',
      (ctx) => ctx.recordApiCall('llm', null as never),
      'call must be an object, got null',
    ],
    [
      'an unknown field of a call',
      (ctx) => ctx.recordApiCall('llm', { token: {} } as never),
      'Unknown field "token" in call: expected tokens, durationMs',
    ],
    [
      'tokens that are no object',
      (ctx) => ctx.recordApiCall('llm', { tokens: 3 as never }),
      'tokens must be an object, got 3',
    ],
    [
      'an unknown field of tokens',
      (ctx) => ctx.recordApiCall('llm', { tokens: { inputs: 3 } as never }),
      'Unknown field "inputs" in tokens: expected input, output',
    ],
    [
      'negative input tokens',
      (ctx) => ctx.recordApiCall('llm', { tokens: { input: -1 } }),
      'tokens.input must be an integer >= 0, got -1',
    ],
    [
      'fractional output tokens',
      (ctx) => ctx.recordApiCall('llm', { tokens: { output: 1.5 } }),
      'tokens.output must be an integer >= 0, got 1.5',
    ],
    [
      'a NaN response time',
      (ctx) => ctx.recordApiCall('llm', { durationMs: Number.NaN }),
      'durationMs must be a number of ms in [0, 1e12), got NaN',
    ],
    ['a negative count', (ctx) => ctx.addItems(-1), 'count must be an integer >= 0, got -1'],
    [
      'an empty attribute key',
      (ctx) => ctx.setAttribute('', 1),
      `attribute key must be ${NAME}, got ""`,
    ],
    [
      'an object as attribute value',
      (ctx) => ctx.setAttribute('k', { nested: true } as never),
      'attribute value must be a string, a finite number, a boolean or null, got an object',
    ],
    [
      'an infinite attribute value',
      (ctx) => ctx.setAttribute('k', Number.POSITIVE_INFINITY),
      'attribute value must be a string, a finite number, a boolean or null, got Infinity',
    ],
    [
      'end options that are no object',
      (ctx) => ctx.end(null as never),
      'options must be an object, got null',
    ],
    [
      'an unknown end option',
      (ctx) => ctx.end({ succes: true } as never),
      'Unknown field "succes" in options: expected success, error',
    ],
    [
      'a success that is no boolean',
      (ctx) => ctx.end({ success: 'yes' } as never),
      'success must be a boolean, got "yes"',
    ],
  ])('refuses %s, naming the argument, and records nothing of it', (_, call, message) => {
    const { stages } = testStages()
    const ctx = stages.startStage(RUN, 'a', 's')
    expect(refusal(() => call(ctx))).toEqual({
      name: 'InvalidArgumentError',
      code: 'PERFWATCH_INVALID_ARGUMENT',
      message,
    })
    expect(ctx.isEnded).toBe(false)
    expect(ctx.end()).toMatchObject({
      status: 'success',
      apiCalls: {},
      itemsProcessed: 0,
      attributes: {},
    })
  })
})

describe('ending a stage by hand', () => {
  it.each<[string, Parameters<StageContext['end']>, 'success' | 'error', unknown]>([
    ['no options', [], 'success', null],
    ['empty options', [{}], 'success', null],
    ['an undefined error', [{ error: undefined }], 'success', null],
    ['success: true', [{ success: true }], 'success', null],
    ['success: false', [{ success: false }], 'error', null],
    [
      'an error',
      [{ error: new RangeError('quota') }],
      'error',
      { name: 'RangeError', message: 'quota' },
    ],
  ])('ends with %s as %s', (_, args, status, error) => {
    const { stages } = testStages()
    const ctx = stages.startStage(RUN, 'a', 's')
    expect(ctx.end(...args)).toMatchObject({ status, error })
    expect(stages.getRunMetrics(RUN)).toEqual([expect.objectContaining({ status, error })])
  })
})

describe('calls after the end', () => {
  it('ignores each call on an ended stage and names it in a warning', () => {
    const { stages, lines } = testStages({ warningIntervalMs: 0 })
    const ctx = stages.startStage(RUN, 'a', 'upload')
    ctx.recordApiCall('s3', { tokens: { input: 1 }, durationMs: 2 })
    ctx.addItems(2)
    ctx.setAttribute('model', 'm1')
    const metric = ctx.end()
    const recorded = {
      apiCalls: { s3: { calls: 1, inputTokens: 1, outputTokens: 0, durationsMs: [2] } },
      itemsProcessed: 2,
      attributes: { model: 'm1' },
    }
    ctx.recordApiCall('s3', { tokens: { input: 5 }, durationMs: 7 })
    ctx.recordApiCall('other')
    ctx.addItems(3)
    ctx.setAttribute('model', 'm2')
    ctx.setAttribute('cached', true)
    expect(ctx.end()).toBe(metric)
    expect(metric).toMatchObject(recorded)
    expect(stages.getRunMetrics(RUN)).toEqual([expect.objectContaining(recorded)])
    const late = lines.filter((l) => l.code === 'PERFWATCH_STAGE_ENDED')
    expect(late.map((l) => l.method)).toEqual([
      'recordApiCall',
      'recordApiCall',
      'addItems',
      'setAttribute',
      'setAttribute',
    ])
    expect(late[2]).toMatchObject({
      level: WARN,
      runId: RUN,
      itemId: 'a',
      stage: 'upload',
      msg: 'perfwatch: addItems on stage upload of item a after it ended was ignored',
    })
  })

  it.each(['sync', 'async'] as const)(
    'treats the context of a %s trackStage that has returned as ended',
    async (mode) => {
      const { stages, clock, lines } = testStages()
      let running: boolean | undefined
      const result = stages.trackStage(RUN, 'a', 's', (ctx) => {
        running = ctx.isEnded
        clock.advance(5)
        return mode === 'sync' ? ctx : Promise.resolve(ctx)
      })
      const ctx = await result
      expect(running).toBe(false)
      expect(ctx.isEnded).toBe(true)
      clock.advance(50)
      const [written] = stages.getRunMetrics(RUN)
      expect(ctx.end()).toEqual(written)
      expect(written?.durationMs).toBe(5)
      ctx.addItems(1)
      expect(stages.getRunMetrics(RUN)).toEqual([written])
      expect(lines.filter((l) => l.code === 'PERFWATCH_STAGE_ENDED')).toHaveLength(1)
    },
  )
})
