import { describe, expect, it } from 'vitest'
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatLatencies,
  formatLatency,
  formatLatencyOrDash,
  formatList,
  formatPercent,
  formatRate,
} from '../../src/core/format.js'

describe('formatLatency', () => {
  it.each([
    [0, '0µs'],
    [0.000_01, '<0.1µs'], // 10 ns
    [0.000_05, '0.1µs'],
    [0.000_4, '0.4µs'],
    [0.004_2, '4.2µs'],
    [0.009_94, '9.9µs'],
    [0.009_96, '10µs'], // rounds up into whole µs, never "10.0µs"
    [9.95 / 1000, '10µs'], // exactly 9.95 µs: already the next range
    [0.01, '10µs'],
    [0.042, '42µs'],
    [0.999_4, '999µs'],
    [0.999_6, '1.0ms'], // never "1000µs"
    [0.999_5, '1.0ms'], // exactly 999.5 µs
    [1, '1.0ms'],
    [1.25, '1.3ms'],
    [9.94, '9.9ms'],
    [9.96, '10ms'], // never "10.0ms"
    [9.95, '10ms'],
    [10, '10ms'],
    [812.4, '812ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'], // never "1000ms"
    [999.5, '1.0s'],
    [1000, '1.0s'],
    [1234, '1.2s'],
    [61_000, '61.0s'],
  ])('%f ms → %s', (durationMs, text) => {
    expect(formatLatency(durationMs)).toBe(text)
  })

  it('prints what is not a duration as it is', () => {
    expect(formatLatency(Number.NaN)).toBe('NaNms')
    expect(formatLatency(Number.POSITIVE_INFINITY)).toBe('Infinityms')
    expect(formatLatency(-1)).toBe('-1ms')
  })
})

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [999, '999ms'],
    [1000, '1.0s'],
    [10_000, '10.0s'],
    [60_000, '1.0min'],
    [252_000, '4.2min'],
    [3_600_000, '1.0h'],
    [5_400_000, '1.5h'],
  ])('%f ms → %s', (durationMs, text) => {
    expect(formatDuration(durationMs)).toBe(text)
  })
})

describe('formatList', () => {
  it('names the first ten items, then how many more', () => {
    const names = Array.from({ length: 12 }, (_, i) => `op${i}`)
    expect(formatList(names.slice(0, 10))).toBe(names.slice(0, 10).join(', '))
    expect(formatList(names)).toBe(`${names.slice(0, 10).join(', ')}, and 2 more`)
    expect(formatList(names, 3)).toBe('op0, op1, op2, and 9 more')
  })
})

describe('formatRate and formatLatencyOrDash', () => {
  it('print rates and missing latencies for people', () => {
    expect(formatRate(1234.5)).toBe('1235 calls/s')
    expect(formatRate(2.25)).toBe('2.3 calls/s')
    expect(formatRate(9.94)).toBe('9.9 calls/s')
    expect(formatRate(10)).toBe('10 calls/s')
    expect(formatPercent(0.0512)).toBe('5.1%')
    expect(formatPercent(1)).toBe('100.0%')
    expect(formatRate(null)).toBe('unknown calls/s')
    expect(formatLatencyOrDash(null)).toBe('-')
    expect(formatLatencyOrDash(0.042)).toBe('42µs')
  })
})

describe('formatLatencies', () => {
  it('prints two latencies as formatLatency does when they read differently', () => {
    expect(formatLatencies(150, 100)).toEqual(['150ms', '100ms'])
    expect(formatLatencies(30, 30)).toEqual(['30ms', '30ms'])
    // Equal values read the same anyway: no extra digits (not 30.4ms and 30.4ms).
    expect(formatLatencies(30.4, 30.4)).toEqual(['30ms', '30ms'])
  })

  it('gives more digits when two different latencies would read the same', () => {
    expect(formatLatencies(30.4, 30)).toEqual(['30.4ms', '30ms'])
    expect(formatLatencies(15, 15.0004)).toEqual(['15ms', '15ms']) // beyond three decimals
    expect(formatLatencies(15, 15.004)).toEqual(['15ms', '15.004ms'])
    expect(formatLatencies(2043.7, 2000)).toEqual(['2.0437s', '2s'])
    expect(formatLatencies(999.4, 999.9)).toEqual(['999ms', '1.0s'])
    // 1 s exactly is printed in seconds too (1.0s and 1.0s before), never as 1000ms.
    expect(formatLatencies(1000, 1000.4)).toEqual(['1s', '1.0004s'])
    expect(formatLatencies(999.96, 1000)).toEqual(['999.96ms', '1s'])
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0B'],
    [1023, '1023B'],
    [1024, '1KB'], // exactly 1 KiB: already KB
    [812 * 1024, '812KB'],
    [1024 * 1024 - 1, '1024KB'],
    [1024 * 1024, '1.0MB'], // exactly 1 MiB: already MB
    [45.2 * 1024 * 1024, '45.2MB'],
    [-3.1 * 1024 * 1024, '-3.1MB'],
    [-2048, '-2KB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})

describe('formatCount', () => {
  it.each([
    [2.54, '2.5'], // one decimal below 10
    [-2.54, '-2.5'],
    [9.96, '10'],
    [10, '10'],
    [1247.4, '1,247'], // whole above
    [1_234_567, '1,234,567'],
  ])('%d → %s', (value, text) => {
    expect(formatCount(value)).toBe(text)
  })
})
