/**
 * The context of one running stage: what `trackStage` passes to its function and `startStage`
 * returns, and `currentStage()`, which finds it from code deep inside the stage.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { InvalidArgumentError } from '../core/errors.js'
import type { StageHooks } from '../core/profile-hooks.js'
import type { AttributeValue, ServiceCalls, StageMetric } from '../core/stage-metric.js'
import { checkName, checkObject, isCount, isDuration } from '../core/validate.js'

/** One external API call, for `ctx.recordApiCall`. */
export interface ApiCall {
  /** Tokens the call used: whole numbers >= 0; a side left out counts 0. */
  tokens?: { input?: number; output?: number }
  /** The call's response time, ms, when the caller measured it (used for response-time figures). */
  durationMs?: number
}

/** How `ctx.end()` ends a stage started with `startStage`. */
export interface EndOptions {
  /** False marks the stage failed. @default true, or false when `error` is given */
  success?: boolean
  /** What failed; its name and message are kept (`status: 'error'`). */
  error?: unknown
}

/** The `StageTracker` a stage belongs to. @internal */
export interface StageOwner {
  /** Records the ended stage's metric and writes its file (synchronously). */
  finish(context: StageContext, success: boolean, error: unknown): StageMetric
  /** Warns (rate-limited) about a call on a stage that has ended; the call is ignored. */
  reportLate(context: StageContext, method: string): void
}

const storage = new AsyncLocalStorage<StageContext>()

/**
 * The stage running in this asynchronous context (inside `trackStage`'s function and everything
 * it awaits or schedules), or `undefined` outside any stage. Lets an API client wrapper count its
 * calls without `ctx` being passed down; concurrent stages each see their own.
 *
 * @example
 * async function callGemini(prompt: string) {
 *   const response = await gemini.generate(prompt)
 *   currentStage()?.recordApiCall('gemini', { tokens: { input: response.inputTokens, output: response.outputTokens } })
 *   return response
 * }
 */
export function currentStage(): StageContext | undefined {
  return storage.getStore()
}

/** Runs `fn(context)` with `context` as `currentStage()`. @internal */
export function runInStage<T>(context: StageContext, fn: (context: StageContext) => T): T {
  return storage.run(context, fn, context)
}

/** One running stage of one item of a run. */
export class StageContext {
  readonly runId: string
  readonly itemId: string
  readonly stage: string
  /** When the stage started, ISO-8601 (wall clock). */
  readonly startedAt: string
  /** The stage's start by the tracker's clock, ms. @internal */
  readonly startMs: number
  /** External calls per service so far. @internal */
  readonly apiCalls: Record<string, ServiceCalls> = {}
  /** Units processed so far (`addItems`). @internal */
  itemsProcessed = 0
  /** @internal */
  readonly attributes: Record<string, AttributeValue> = {}
  /** The profiler told about this stage and its token, when profiling. @internal */
  profiling: { profiler: StageHooks; token: unknown } | undefined = undefined
  private readonly owner: StageOwner
  private metric: StageMetric | undefined

  /** @internal */
  constructor(
    ids: { runId: string; itemId: string; stage: string },
    startedAt: string,
    startMs: number,
    owner: StageOwner,
  ) {
    this.runId = ids.runId
    this.itemId = ids.itemId
    this.stage = ids.stage
    this.startedAt = startedAt
    this.startMs = startMs
    this.owner = owner
  }

  /** True once the stage has ended: later calls are ignored (with one warning). */
  get isEnded(): boolean {
    return this.metric !== undefined
  }

  /**
   * Counts one call to an external `service`, with its tokens and response time when given.
   * @throws InvalidArgumentError for an empty service name, negative or fractional tokens, an
   * invalid duration or an unknown field; nothing is counted then.
   */
  recordApiCall(service: string, call: ApiCall = {}): void {
    checkName(service, 'service')
    checkObject('call', call)
    checkKeys('call', call, ['tokens', 'durationMs'])
    const { tokens = {}, durationMs } = call
    checkObject('tokens', tokens)
    checkKeys('tokens', tokens, ['input', 'output'])
    const { input = 0, output = 0 } = tokens
    if (!isCount(input, 0)) throw new InvalidArgumentError('tokens.input', 'an integer >= 0', input)
    if (!isCount(output, 0))
      throw new InvalidArgumentError('tokens.output', 'an integer >= 0', output)
    if (durationMs !== undefined && !isDuration(durationMs)) {
      throw new InvalidArgumentError('durationMs', 'a number of ms in [0, 1e12)', durationMs)
    }
    if (this.isLate('recordApiCall')) return
    const calls = this.apiCalls[service] ?? {
      calls: 0,
      inputTokens: 0,
      outputTokens: 0,
      durationsMs: [],
    }
    this.apiCalls[service] = calls
    calls.calls++
    calls.inputTokens += input
    calls.outputTokens += output
    if (durationMs !== undefined) calls.durationsMs.push(durationMs)
  }

  /**
   * Counts `count` units processed (segments, rows, pages) for the processing rate.
   * @throws InvalidArgumentError unless `count` is an integer >= 0.
   */
  addItems(count = 1): void {
    if (!isCount(count, 0)) throw new InvalidArgumentError('count', 'an integer >= 0', count)
    if (this.isLate('addItems')) return
    this.itemsProcessed += count
  }

  /**
   * Keeps `value` under `key` in the stage's metric (its file and `attributes`).
   * @throws InvalidArgumentError for an empty key or a value that is not a string, a finite
   * number, a boolean or null.
   */
  setAttribute(key: string, value: AttributeValue): void {
    checkName(key, 'attribute key')
    const isValue =
      value === null ||
      typeof value === 'string' ||
      typeof value === 'boolean' ||
      Number.isFinite(value) // false for anything but a number
    if (!isValue) {
      throw new InvalidArgumentError(
        'attribute value',
        'a string, a finite number, a boolean or null',
        value,
      )
    }
    if (this.isLate('setAttribute')) return
    this.attributes[key] = value
  }

  /**
   * Ends a stage started with `startStage`: records its metric and writes its file before it
   * returns. A second call returns the first metric and records nothing.
   * @throws InvalidArgumentError when `options` is not an object or has an unknown field.
   */
  end(options: EndOptions = {}): StageMetric {
    checkObject('options', options)
    checkKeys('options', options, ['success', 'error'])
    if (options.success !== undefined && typeof options.success !== 'boolean') {
      throw new InvalidArgumentError('success', 'a boolean', options.success)
    }
    if (this.metric !== undefined) return this.metric
    const success = options.success ?? options.error === undefined
    this.metric = this.owner.finish(this, success, options.error)
    return this.metric
  }

  /** Marks the stage ended with `metric` (`trackStage` records and writes it itself). @internal */
  markEnded(metric: StageMetric): void {
    this.metric = metric
  }

  private isLate(method: string): boolean {
    if (this.metric === undefined) return false
    this.owner.reportLate(this, method)
    return true
  }
}

function checkKeys(argument: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(
        `Unknown field ${JSON.stringify(key)} in ${argument}: expected ${known.join(', ')}`,
      )
    }
  }
}
