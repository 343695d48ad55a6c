import { describe, expect, it } from 'vitest'
import { TimerTable } from '../src/timers.js'

describe('TimerTable', () => {
  it('finds an open timer by its id, once', () => {
    const table = new TimerTable<string>(10)
    const id = table.open('op', 12.5, { a: 1 })
    const slot = table.find(id)
    expect(slot).toBeGreaterThanOrEqual(0)
    expect([table.targetOf(slot), table.startOf(slot), table.metadataOf(slot)]).toEqual([
      'op',
      12.5,
      { a: 1 },
    ])
    table.close(slot)
    expect(table.find(id)).toBe(-1)
    expect(table.size).toBe(0)
  })

  it('never matches a stale id after its slot is reused', () => {
    const table = new TimerTable<string>(4)
    const first = table.open('a', 0, undefined)
    table.close(table.find(first))
    const ids = new Set([first])
    // slots are reused first in, first out; every reuse gets a new generation
    for (let i = 0; i < 1000; i++) {
      const id = table.open('b', i, undefined)
      expect(ids.has(id)).toBe(false)
      ids.add(id)
      expect(table.find(first)).toBe(-1)
      table.close(table.find(id))
    }
  })

  it('rejects ids it never made', () => {
    const table = new TimerTable<string>(4)
    table.open('a', 0, undefined)
    // '5' would name free slot 5 with generation 0, which no timer ever has
    for (const id of ['', 'x', '-1', '1.5', '1e300', '0', '5', String(2 ** 31)]) {
      expect(table.find(id)).toBe(-1)
    }
    expect(table.find(5 as unknown as string)).toBe(-1)
  })

  it('evicts the oldest open timer, skipping ended ones', () => {
    const table = new TimerTable<string>(3)
    const a = table.open('a', 0, undefined)
    const b = table.open('b', 1, undefined)
    const c = table.open('c', 2, undefined)
    table.close(table.find(a))
    expect(table.evictOldest()).toBe(true) // b: a already ended
    expect(table.find(b)).toBe(-1)
    expect(table.find(c)).toBeGreaterThanOrEqual(0)
    expect(table.size).toBe(1)
  })

  it('keeps a long-running timer while many short ones come and go', () => {
    const table = new TimerTable<string>(8)
    const long = table.open('long', 0, undefined)
    for (let i = 0; i < 100_000; i++) table.close(table.find(table.open('short', i, undefined)))
    expect(table.targetOf(table.find(long))).toBe('long')
    expect(table.evictOldest()).toBe(true)
    expect(table.find(long)).toBe(-1)
  })
})
