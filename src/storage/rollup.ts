/**
 * The history store's rollups, pure: the figures of many requests in one minute, hour or day,
 * with a mergeable digest of their durations, and how a query's window splits into those tiers.
 *
 * The digest is a log-bucket histogram (the DDSketch construction): a duration d > 1 µs goes to
 * bucket ceil(log_γ d) with γ = (1 + α) / (1 − α), α = 1 %, so every bucket's representative
 * value is within 1 % of every duration in it, and merging two digests adds their counts: exact,
 * associative, as cheap as an addition. A t-digest (what the baselines use) merges by re-adding
 * centroids, far slower over the thousands of rows a 90-day query reads, and its merge is not
 * exact. Encoded sparse (varint pairs), a minute of one route takes a few to a few hundred bytes.
 */

/** Relative accuracy of the digest's quantiles: 1 %. */
export const RELATIVE_ACCURACY = 0.01
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
const LN_GAMMA = Math.log(GAMMA)
/** Durations at or below 1 µs share bucket 0 (read back as 0 ms, then clamped to the minimum). */
const ZERO_MS = 0.001
/** Lowest and highest log index: 1 µs up to 1e12 ms (MAX_DURATION_MS) and a margin. */
const MIN_INDEX = Math.floor(Math.log(ZERO_MS) / LN_GAMMA)
const MAX_INDEX = Math.ceil(Math.log(1e12) / LN_GAMMA) + 1
/** Buckets of a dense digest: the zero bucket, then MIN_INDEX + 1 .. MAX_INDEX. */
export const BUCKETS = MAX_INDEX - MIN_INDEX + 1

/** The bucket of a duration in ms (0 for 1 µs or less). */
export function bucketOf(durationMs: number): number {
  if (!(durationMs > ZERO_MS)) return 0
  const index = Math.ceil(Math.log(durationMs) / LN_GAMMA)
  return index >= MAX_INDEX ? BUCKETS - 1 : index - MIN_INDEX
}

/** The value a bucket stands for: within 1 % of every duration in it (0 for bucket 0). */
export function bucketValue(bucket: number): number {
  if (bucket === 0) return 0
  return (2 * GAMMA ** (bucket + MIN_INDEX)) / (GAMMA + 1)
}

/** The five status classes, 1xx to 5xx, as indexes 0 to 4. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const

/** The figures of some requests (or samples of an operation). Durations in ms. */
export class Rollup {
  count = 0
  sumMs = 0
  minMs = Number.POSITIVE_INFINITY
  maxMs = Number.NEGATIVE_INFINITY
  errors = 0
  cacheHits = 0
  aborted = 0
  /** Requests per status class, 1xx to 5xx; other codes are in none. */
  readonly statuses = [0, 0, 0, 0, 0]
  /** The digest, dense: count per bucket. */
  readonly buckets = new Float64Array(BUCKETS)
  /** Durations in the digest: `count` unless some were counted without their duration. */
  digestCount = 0

  /** Empties the rollup, to be filled again without allocating another digest. */
  clear(): void {
    this.count = 0
    this.sumMs = 0
    this.minMs = Number.POSITIVE_INFINITY
    this.maxMs = Number.NEGATIVE_INFINITY
    this.errors = 0
    this.cacheHits = 0
    this.aborted = 0
    this.statuses.fill(0)
    this.buckets.fill(0)
    this.digestCount = 0
  }

  /** Adds one request. */
  addRequest(
    durationMs: number,
    statusCode: number,
    isError: boolean,
    isCacheHit: boolean,
    isAborted: boolean,
  ): void {
    this.addDuration(durationMs)
    this.count++
    this.sumMs += durationMs
    if (isError) this.errors++
    if (isCacheHit) this.cacheHits++
    if (isAborted) this.aborted++
    const statusClass = Math.floor(statusCode / 100) - 1
    if (statusClass >= 0 && statusClass < 5) {
      this.statuses[statusClass] = (this.statuses[statusClass] as number) + 1
    }
  }

  /**
   * Adds `count` samples of an operation of which `durationsMs` are the newest (all of them
   * unless the window could not hold them) and `failures` of those failed: the sum and the
   * errors of the ones without a duration are estimated from the ones with.
   */
  addSamples(count: number, durationsMs: Float64Array, failures: number): void {
    let sum = 0
    for (const durationMs of durationsMs) {
      this.addDuration(durationMs)
      sum += durationMs
    }
    const scale = durationsMs.length > 0 ? count / durationsMs.length : 0
    this.count += count
    this.sumMs += sum * scale
    this.errors += Math.round(failures * scale)
  }

  /** Adds another rollup's figures. */
  merge(other: Rollup): void {
    this.count += other.count
    this.sumMs += other.sumMs
    this.minMs = Math.min(this.minMs, other.minMs)
    this.maxMs = Math.max(this.maxMs, other.maxMs)
    this.errors += other.errors
    this.cacheHits += other.cacheHits
    this.aborted += other.aborted
    for (let i = 0; i < 5; i++) {
      this.statuses[i] = (this.statuses[i] as number) + (other.statuses[i] as number)
    }
    this.digestCount += other.digestCount
    const buckets = this.buckets
    const theirs = other.buckets
    for (let i = 0; i < BUCKETS; i++) buckets[i] = (buckets[i] as number) + (theirs[i] as number)
  }

  /**
   * The q-quantile (0-1) from the digest: R-7, the package's one definition (linear between the
   * order statistics at ranks ⌊q·(n − 1)⌋ and the next), on the buckets' values, so within 1 % of
   * the exact quantile; clamped to the exact minimum and maximum (q = 0 and 1 are those exactly).
   * NaN when the digest is empty.
   */
  quantile(q: number): number {
    if (this.digestCount === 0) return Number.NaN
    if (q <= 0) return this.minMs
    if (q >= 1) return this.maxMs
    const rank = q * (this.digestCount - 1)
    const low = Math.floor(rank)
    let seen = 0
    let bucket = 0
    for (; bucket < BUCKETS - 1; bucket++) {
      seen += this.buckets[bucket] as number
      if (seen > low) break
    }
    let lowValue = bucketValue(bucket)
    let highValue = lowValue
    if (seen === low + 1 && rank > low) {
      // The next order statistic is in the next non-empty bucket.
      let next = bucket + 1
      while (next < BUCKETS - 1 && this.buckets[next] === 0) next++
      highValue = bucketValue(next)
    }
    lowValue = this.clamp(lowValue)
    highValue = this.clamp(highValue)
    return lowValue + (rank - low) * (highValue - lowValue)
  }

  private clamp(value: number): number {
    return Math.min(this.maxMs, Math.max(this.minMs, value))
  }

  private addDuration(durationMs: number): void {
    const bucket = bucketOf(durationMs)
    this.buckets[bucket] = (this.buckets[bucket] as number) + 1
    this.digestCount++
    if (durationMs < this.minMs) this.minMs = durationMs
    if (durationMs > this.maxMs) this.maxMs = durationMs
  }
}

/**
 * A dense digest as bytes: pairs of (bucket − previous bucket, count) for the non-empty buckets,
 * each an unsigned LEB128 varint (counts up to 2^53).
 */
export function encodeDigest(buckets: Float64Array): Uint8Array {
  const bytes: number[] = []
  let previous = -1
  for (let bucket = 0; bucket < buckets.length; bucket++) {
    const count = buckets[bucket] as number
    if (count === 0) continue
    writeVarint(bytes, bucket - previous)
    writeVarint(bytes, count)
    previous = bucket
  }
  return Uint8Array.from(bytes)
}

/** Adds an encoded digest's counts into a dense one; returns how many durations it held. */
export function addEncodedDigest(bytes: Uint8Array, into: Float64Array): number {
  let offset = 0
  let bucket = -1
  let total = 0
  while (offset < bytes.length) {
    const step = readVarint(bytes, offset)
    const count = readVarint(bytes, step.next)
    offset = count.next
    bucket += step.value
    // A bucket out of range (a damaged or foreign blob) is clamped, never written past the end.
    const index = bucket < into.length ? bucket : into.length - 1
    into[index] = (into[index] as number) + count.value
    total += count.value
  }
  return total
}

/** Two encoded digests merged into one (the SQL function the store's upserts call). */
export function mergeEncodedDigests(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buckets = new Float64Array(BUCKETS)
  addEncodedDigest(a, buckets)
  addEncodedDigest(b, buckets)
  return encodeDigest(buckets)
}

function writeVarint(bytes: number[], value: number): void {
  let rest = value
  while (rest >= 128) {
    bytes.push((rest % 128) + 128)
    rest = Math.floor(rest / 128)
  }
  bytes.push(rest)
}

function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0
  let scale = 1
  let index = offset
  while (index < bytes.length) {
    const byte = bytes[index++] as number
    value += (byte % 128) * scale
    if (byte < 128) break
    scale *= 128
  }
  return { value, next: index }
}

/** A half-open range [from, to) of minutes, hours or days since the epoch. */
export interface Span {
  from: number
  to: number
}

/** A window of minutes as the fewest rows: whole days, whole hours at the edges, then minutes. */
export interface TierSpans {
  minutes: Span[]
  hours: Span[]
  days: Span[]
}

/** Splits the minutes [from, to) (since the epoch, UTC) into day, hour and minute spans. */
export function splitWindow(fromMinute: number, toMinute: number): TierSpans {
  const firstHour = Math.ceil(fromMinute / 60)
  const endHour = Math.floor(toMinute / 60)
  if (firstHour >= endHour)
    return { minutes: [{ from: fromMinute, to: toMinute }], hours: [], days: [] }
  const minutes = nonEmpty([
    { from: fromMinute, to: firstHour * 60 },
    { from: endHour * 60, to: toMinute },
  ])
  const firstDay = Math.ceil(firstHour / 24)
  const endDay = Math.floor(endHour / 24)
  if (firstDay >= endDay) return { minutes, hours: [{ from: firstHour, to: endHour }], days: [] }
  const hours = nonEmpty([
    { from: firstHour, to: firstDay * 24 },
    { from: endDay * 24, to: endHour },
  ])
  return { minutes, hours, days: [{ from: firstDay, to: endDay }] }
}

function nonEmpty(spans: Span[]): Span[] {
  return spans.filter((span) => span.to > span.from)
}
