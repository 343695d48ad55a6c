import { describe, expect, it } from 'vitest'
import { quantileSorted } from '../../src/core/stats.js'
import {
  addEncodedDigest,
  BUCKETS,
  bucketOf,
  bucketValue,
  encodeDigest,
  mergeEncodedDigests,
  RELATIVE_ACCURACY,
  Rollup,
  splitWindow,
} from '../../src/storage/rollup.js'
import { logNormal } from '../helpers/random.js'

describe('the digest buckets', () => {
  it('stand for every duration in them within 1 %, from 2 µs to 1e12 ms', () => {
    for (let exponent = -2.7; exponent < 12; exponent += 0.0137) {
      const durationMs = 10 ** exponent
      const value = bucketValue(bucketOf(durationMs))
      expect(Math.abs(value - durationMs) / durationMs).toBeLessThanOrEqual(RELATIVE_ACCURACY)
    }
  })

  it('put 1 µs or less, 0 and non-numbers in bucket 0, read back as 0', () => {
    for (const durationMs of [0, 0.0005, 0.001, -1, Number.NaN]) {
      expect(bucketOf(durationMs)).toBe(0)
    }
    expect(bucketValue(0)).toBe(0)
    expect(bucketOf(0.0011)).toBeGreaterThan(0)
  })

  it('clamp what is beyond the last bucket into it', () => {
    expect(bucketOf(1e15)).toBe(BUCKETS - 1)
    expect(bucketOf(Number.POSITIVE_INFINITY)).toBe(BUCKETS - 1)
    expect(bucketOf(1e12)).toBeLessThan(BUCKETS - 1)
  })
})

describe('Rollup', () => {
  it('gives each quantile within 1 % of the exact order statistic, and the exact extremes', () => {
    const draw = logNormal(7, 40, 0.8)
    const values = Array.from({ length: 20_000 }, draw)
    const rollup = new Rollup()
    for (const value of values) rollup.addRequest(value, 200, false, false, false)
    const sorted = [...values].sort((a, b) => a - b)
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]) {
      const exact = quantileSorted(sorted, q)
      expect(Math.abs(rollup.quantile(q) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY)
    }
    expect(rollup.quantile(0)).toBe(sorted[0])
    expect(rollup.quantile(1)).toBe(sorted.at(-1))
  })

  it('interpolates between order statistics as R-7 does, also across empty buckets', () => {
    const rollup = new Rollup()
    rollup.addRequest(10, 200, false, false, false)
    rollup.addRequest(30, 200, false, false, false)
    // R-7 of [10, 30]: 10 + 0.95 · 20 = 29; each end within 1 %.
    expect(rollup.quantile(0.95)).toBeGreaterThan(29 * 0.99)
    expect(rollup.quantile(0.95)).toBeLessThan(29 * 1.01)
    expect(rollup.quantile(0.5)).toBeCloseTo(20, 0)
    const tied = new Rollup()
    for (const ms of [5, 5, 5, 9]) tied.addRequest(ms, 200, false, false, false)
    // Ranks 0..3: p50 is at rank 1.5, between two 5s: no interpolation towards 9.
    expect(tied.quantile(0.5)).toBeCloseTo(5, 1)
    expect(tied.quantile(5 / 6)).toBeCloseTo(7, 0) // rank 2.5: between 5 and 9
  })

  it('counts requests, errors, cache hits, aborts and status classes', () => {
    const rollup = new Rollup()
    rollup.addRequest(10, 200, false, true, false)
    rollup.addRequest(30, 503, true, false, false)
    rollup.addRequest(20, 404, false, false, true)
    rollup.addRequest(5, 101, false, false, false)
    rollup.addRequest(7, 302, false, false, false)
    rollup.addRequest(1, 0, false, false, true) // no status: in no class
    rollup.addRequest(1, 600, false, false, false)
    expect(rollup).toMatchObject({
      count: 7,
      sumMs: 74,
      minMs: 1,
      maxMs: 30,
      errors: 1,
      cacheHits: 1,
      aborted: 2,
      statuses: [1, 1, 1, 1, 1],
      digestCount: 7,
    })
  })

  it('estimates the sum and errors of samples the window could not hold', () => {
    const rollup = new Rollup()
    rollup.addSamples(10, Float64Array.of(2, 4), 1)
    expect(rollup).toMatchObject({ count: 10, sumMs: 30, errors: 5, digestCount: 2 })
    expect(rollup.quantile(0.5)).toBeCloseTo(3, 1)
    const empty = new Rollup()
    empty.addSamples(0, new Float64Array(0), 0)
    expect(empty).toMatchObject({ count: 0, sumMs: 0, errors: 0 })
    expect(empty.quantile(0.5)).toBeNaN()
  })

  it('merges into the same figures as recording everything in one', () => {
    const draw = logNormal(3)
    const one = new Rollup()
    const parts = [new Rollup(), new Rollup(), new Rollup()]
    for (let i = 0; i < 3000; i++) {
      const value = draw()
      const args = [value, 200 + (i % 4) * 100, i % 7 === 0, i % 3 === 0, i % 11 === 0] as const
      one.addRequest(...args)
      parts[i % 3]?.addRequest(...args)
    }
    const merged = new Rollup()
    for (const part of parts) merged.merge(part)
    expect(merged.count).toBe(one.count)
    expect(merged.sumMs).toBeCloseTo(one.sumMs, 6)
    expect([merged.minMs, merged.maxMs]).toEqual([one.minMs, one.maxMs])
    expect([merged.errors, merged.cacheHits, merged.aborted]).toEqual([
      one.errors,
      one.cacheHits,
      one.aborted,
    ])
    expect(merged.statuses).toEqual(one.statuses)
    expect(merged.buckets).toEqual(one.buckets)
    expect(merged.digestCount).toBe(3000)
  })

  it('is empty again after clear(), as a new one, and fills the same way', () => {
    const rollup = new Rollup()
    rollup.addRequest(12, 503, true, true, true)
    rollup.addRequest(40, 200, false, false, false)
    rollup.clear()
    expect(rollup).toEqual(new Rollup())
    rollup.addRequest(7, 404, false, true, false)
    const fresh = new Rollup()
    fresh.addRequest(7, 404, false, true, false)
    expect(rollup).toEqual(fresh)
    expect(rollup.quantile(0.5)).toBe(7)
  })
})

describe('the digest encoding', () => {
  it('reads back what it wrote, counts beyond 2^32 included', () => {
    const buckets = new Float64Array(BUCKETS)
    buckets[0] = 3
    buckets[1] = 1
    buckets[500] = 2 ** 40 + 7
    buckets[BUCKETS - 1] = 127
    buckets[BUCKETS - 2] = 128
    const decoded = new Float64Array(BUCKETS)
    expect(addEncodedDigest(encodeDigest(buckets), decoded)).toBe(2 ** 40 + 7 + 3 + 1 + 127 + 128)
    expect(decoded).toEqual(buckets)
  })

  it('is small: one byte per step and per count below 128', () => {
    const buckets = new Float64Array(BUCKETS)
    buckets[10] = 5
    buckets[11] = 1
    expect([...encodeDigest(buckets)]).toEqual([11, 5, 1, 1])
    expect(encodeDigest(new Float64Array(BUCKETS)).length).toBe(0)
  })

  it('merges two encoded digests by adding their counts', () => {
    const a = new Float64Array(BUCKETS)
    const b = new Float64Array(BUCKETS)
    a[3] = 2
    a[700] = 1
    b[3] = 5
    b[9] = 4
    const merged = new Float64Array(BUCKETS)
    addEncodedDigest(mergeEncodedDigests(encodeDigest(a), encodeDigest(b)), merged)
    const expected = new Float64Array(BUCKETS)
    expected[3] = 7
    expected[9] = 4
    expected[700] = 1
    expect(merged).toEqual(expected)
  })

  it('clamps a bucket beyond the end of a damaged blob instead of writing past it', () => {
    const into = new Float64Array(4)
    expect(addEncodedDigest(Uint8Array.of(10, 2, 1, 3), into)).toBe(5)
    expect([...into]).toEqual([0, 0, 0, 5])
    // A varint cut short ends the blob.
    expect(addEncodedDigest(Uint8Array.of(1, 200), new Float64Array(4))).toBe(72)
  })
})

describe('splitWindow', () => {
  const day = 1440

  it('reads whole days from the day tier, whole hours at the edges, then minutes', () => {
    // From 10:30 on day 100 to 14:15 on day 103.
    const from = 100 * day + 10 * 60 + 30
    const to = 103 * day + 14 * 60 + 15
    expect(splitWindow(from, to)).toEqual({
      minutes: [
        { from, to: 100 * day + 11 * 60 },
        { from: 103 * day + 14 * 60, to },
      ],
      hours: [
        { from: 100 * 24 + 11, to: 101 * 24 },
        { from: 103 * 24, to: 103 * 24 + 14 },
      ],
      days: [{ from: 101, to: 103 }],
    })
  })

  it('uses minutes alone within one hour, and hours alone within one day', () => {
    expect(splitWindow(605, 650)).toEqual({
      minutes: [{ from: 605, to: 650 }],
      hours: [],
      days: [],
    })
    expect(splitWindow(90, 300)).toEqual({
      minutes: [
        { from: 90, to: 120 },
        { from: 300, to: 300 + 0 },
      ].filter((span) => span.to > span.from),
      hours: [{ from: 2, to: 5 }],
      days: [],
    })
  })

  it('leaves out empty edges when the window is aligned', () => {
    expect(splitWindow(2 * day, 9 * day)).toEqual({
      minutes: [],
      hours: [],
      days: [{ from: 2, to: 9 }],
    })
    expect(splitWindow(60, 180)).toEqual({ minutes: [], hours: [{ from: 1, to: 3 }], days: [] })
  })

  it('covers every minute of the window exactly once', () => {
    for (const [from, to] of [
      [12_345, 12_345 + 7 * day],
      [0, 59],
      [59, 61],
      [1439, 1441],
      [1000, 1000 + 90 * day + 7],
    ] as const) {
      const spans = splitWindow(from, to)
      const covered = [
        ...spans.minutes.map((s) => [s.from, s.to]),
        ...spans.hours.map((s) => [s.from * 60, s.to * 60]),
        ...spans.days.map((s) => [s.from * day, s.to * day]),
      ].sort((a, b) => (a[0] as number) - (b[0] as number))
      let next: number = from
      for (const [start, end] of covered) {
        expect(start).toBe(next)
        next = end as number
      }
      expect(next).toBe(to)
    }
  })
})
