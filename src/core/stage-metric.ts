/**
 * The data model of pipeline runs: one stage of one item, as `StageTracker` records it and every
 * reader (statistics, analysis, CSV, reports) reads it. Types only; nothing here runs.
 */

/** Tokens of external API calls, input (prompt) and output (completion). */
export interface TokenCounts {
  input: number
  output: number
}

/** The calls one stage made to one external service (`ctx.recordApiCall`). */
export interface ServiceCalls {
  calls: number
  inputTokens: number
  outputTokens: number
  /** Response times of the calls that gave `durationMs`, ms, in the order they were recorded. */
  durationsMs: number[]
}

/** A value of `ctx.setAttribute`: kept as JSON, so strings, numbers, booleans and null. */
export type AttributeValue = string | number | boolean | null

/** One stage of one item of a run: what `{outputDir}/metrics/{runId}/{itemId}_{stage}.json` holds. */
export interface StageMetric {
  runId: string
  itemId: string
  stage: string
  /** `error` when the stage threw, rejected, or was ended with `success: false` or an error. */
  status: 'success' | 'error'
  /** The error's name and message when there was one, else null. */
  error: { name: string; message: string } | null
  /** When the stage started, ISO-8601 (wall clock). */
  startedAt: string
  /** How long it took by perfwatch's clock (monotonic), ms. */
  durationMs: number
  /** External calls per service, keyed by service name. */
  apiCalls: Record<string, ServiceCalls>
  /** Units processed (`ctx.addItems`): segments, rows, pages; 0 when none were counted. */
  itemsProcessed: number
  attributes: Record<string, AttributeValue>
}
