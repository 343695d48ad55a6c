import { describe, expect, it } from 'vitest'
import {
  gradeOf,
  healthScore,
  latencyScore,
  type Severity,
  severityOf,
} from '../../src/core/health.js'

describe('latencyScore', () => {
  it.each([
    [0, 100],
    [100, 100], // the edge: still 100
    [101, 99.925], // 100 - 1/400 · 30
    [300, 85], // 100 - 200/400 · 30
    [500, 70], // the edge, from both sides
    [750, 50], // 70 - 250/500 · 40
    [1000, 30], // the edge, from both sides
    [2000, 15], // 30 · 1000 / 2000
    [10_000, 3],
  ])('%d ms → %d', (ms, score) => {
    expect(latencyScore(ms)).toBeCloseTo(score, 10)
  })

  it('is continuous just past each edge', () => {
    expect(latencyScore(500.001)).toBeCloseTo(70, 3)
    expect(latencyScore(1000.001)).toBeCloseTo(30, 3)
  })
})

describe('gradeOf', () => {
  it.each([
    [100, 'A+'],
    [95, 'A+'],
    [94.99, 'A'],
    [90, 'A'],
    [89.99, 'B+'],
    [85, 'B+'],
    [84.99, 'B'],
    [80, 'B'],
    [79.99, 'C+'],
    [75, 'C+'],
    [74.99, 'C'],
    [70, 'C'],
    [69.99, 'D'],
    [60, 'D'],
    [59.99, 'F'],
    [0, 'F'],
    [Number.NaN, 'F'],
  ])('%d → %s', (score, grade) => {
    expect(gradeOf(score)).toBe(grade)
  })
})

describe('healthScore', () => {
  it('weighs latency 40 %, cache 30 %, errors 30 % (a hand-computed case)', () => {
    // latency 85 (300 ms), cache 80, errors 98: 34 + 24 + 29.4
    expect(healthScore({ averageMs: 300, cacheHitRate: 0.8, errorRate: 0.02 })).toEqual({
      score: expect.closeTo(87.4, 10),
      grade: 'B+',
      latencyScore: 85,
      cacheScore: 80,
      errorScore: 98,
      weights: { latency: 0.4, cache: 0.3, error: 0.3 },
    })
  })

  it('gives a fast, fully cached, error-free service 100 and A+', () => {
    expect(healthScore({ averageMs: 40, cacheHitRate: 1, errorRate: 0 })).toMatchObject({
      score: 100,
      grade: 'A+',
    })
  })

  it('shares the cache’s weight between latency and errors without cache information', () => {
    // 4/7 · 85 + 3/7 · 98 = 90.571…
    const health = healthScore({ averageMs: 300, cacheHitRate: null, errorRate: 0.02 })
    expect(health.score).toBeCloseTo((4 / 7) * 85 + (3 / 7) * 98, 10)
    expect(health).toMatchObject({ grade: 'A', cacheScore: null })
    expect(health.weights.latency).toBeCloseTo(4 / 7, 12)
    expect(health.weights.error).toBeCloseTo(3 / 7, 12)
    expect(health.weights.cache).toBe(0)
  })

  it('grades a slow, uncached, failing service F, its error part never below 0', () => {
    // latency 15 (2 s), cache 0, errors 0 (a rate above 100 % cannot happen, but is clamped)
    const health = healthScore({ averageMs: 2000, cacheHitRate: 0, errorRate: 1.5 })
    expect(health).toMatchObject({ grade: 'F', cacheScore: 0, errorScore: 0 })
    expect(health.score).toBeCloseTo(6, 10)
  })

  it('lands on a grade edge exactly: latency 70, no hits, no errors is 0.4 · 70 + 30 = 58, F', () => {
    const edge = healthScore({ averageMs: 500, cacheHitRate: 0, errorRate: 0 })
    expect(edge.score).toBeCloseTo(58, 10)
    expect(edge.grade).toBe('F')
    // 100 ms, half the requests cached, no errors: 40 + 15 + 30 = 85, B+ exactly at its floor
    expect(healthScore({ averageMs: 100, cacheHitRate: 0.5, errorRate: 0 })).toMatchObject({
      score: 85,
      grade: 'B+',
    })
  })
})

describe('severityOf', () => {
  it.each<[number, Severity]>([
    [0, 'good'],
    [99.9, 'good'],
    [100, 'warning'],
    [499.9, 'warning'],
    [500, 'slow'],
    [1000, 'slow'],
    [1000.1, 'critical'],
  ])('a P95 of %d ms is %s', (p95, severity) => {
    expect(severityOf(p95)).toBe(severity)
  })

  it('takes other bands', () => {
    const bands = { warningMs: 10, slowMs: 50, criticalMs: 200 }
    expect([5, 10, 50, 200, 201].map((ms) => severityOf(ms, bands))).toEqual([
      'good',
      'warning',
      'slow',
      'slow',
      'critical',
    ])
  })
})
