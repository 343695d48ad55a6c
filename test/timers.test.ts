import { describe, expect, it } from 'vitest'
import { MAX_OPEN_TIMERS, TimerTable } from '../src/timers.js'
import { seededRandom } from './helpers/random.js'

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
    // '1' to '3' name free slots of the table with generation 0, which no timer ever has; '5' a
    // slot past it; 2^30 + 16 is slot 0 with a generation past the last one, and ids have at
    // most 10 digits
    for (const id of [
      '',
      'x',
      '-1',
      '1.5',
      '1e300',
      '0',
      '1',
      '2',
      '3',
      '5',
      String(2 ** 30 + 16),
      '10000000001',
      '1'.repeat(400),
    ]) {
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

/** The slot an id names: its low bits (slotLimit is 16 for a maxOpen of 16 or less). */
const slotOf16 = (id: string) => Number(id) % 16

describe('TimerTable slots', () => {
  it('reuses freed slots first in, first out', () => {
    const table = new TimerTable<string>(4)
    const ids = ['a', 'b', 'c', 'd'].map((name, i) => table.open(name, i, undefined))
    expect(ids.map(slotOf16)).toEqual([0, 1, 2, 3])
    for (const index of [2, 0, 3, 1]) table.close(table.find(ids[index] as string))
    const reused = ['e', 'f', 'g', 'h'].map((name, i) => table.open(name, i, undefined))
    expect(reused.map(slotOf16)).toEqual([2, 0, 3, 1])
  })

  it('keeps every open timer findable through a long run of starts and ends', () => {
    const table = new TimerTable<number>(8)
    const random = seededRandom(7)
    const open = new Map<string, number>()
    const ended: string[] = []
    for (let i = 0; i < 5000; i++) {
      if (open.size < 8 && (open.size === 0 || random() < 0.55)) {
        open.set(table.open(i, i, { i }), i)
      } else {
        // end a random open timer, not only the oldest, so the free ring wraps unevenly
        const ids = [...open.keys()]
        const id = ids[Math.floor(random() * ids.length)] as string
        table.close(table.find(id))
        open.delete(id)
        ended.push(id)
      }
      expect(table.size).toBe(open.size)
    }
    for (const [id, target] of open) {
      const slot = table.find(id)
      expect([table.targetOf(slot), table.startOf(slot), table.metadataOf(slot)]).toEqual([
        target,
        target,
        { i: target },
      ])
    }
    for (const id of ended.slice(-100)) expect(table.find(id)).toBe(-1)
  })

  it('grows past its first 16 slots up to maxOpen, every open timer in a slot of its own', () => {
    const table = new TimerTable<number>(100)
    const ids = Array.from({ length: 100 }, (_, i) => table.open(i, i, undefined))
    expect(table.size).toBe(100)
    ids.forEach((id, i) => {
      expect(table.targetOf(table.find(id))).toBe(i)
    })
    // slotLimit is 128 for 100 timers: slots 0-99, in start order
    expect(ids.map((id) => Number(id) % 128)).toEqual(ids.map((_, i) => i))
  })

  it('never uses more slots than maxOpen', () => {
    const table = new TimerTable<string>(4)
    const slots = new Set<number>()
    for (let i = 0; i < 100; i++) {
      const id = table.open('a', i, undefined)
      slots.add(slotOf16(id))
      if (i % 3 !== 0) table.close(table.find(id))
      if (table.size === 4) table.evictOldest()
    }
    expect([...slots].sort()).toEqual([0, 1, 2, 3])
  })

  it('evicts in start order after the newest timer ended', () => {
    const table = new TimerTable<string>(3)
    const a = table.open('a', 0, undefined)
    const b = table.open('b', 1, undefined)
    const c = table.open('c', 2, undefined)
    table.close(table.find(c))
    const d = table.open('d', 3, undefined)
    const evicted: string[] = []
    while (table.size > 0) {
      const open = [a, b, d].filter((id) => table.find(id) >= 0)
      expect(table.evictOldest()).toBe(true)
      evicted.push(...open.filter((id) => table.find(id) < 0))
    }
    expect(evicted).toEqual([a, b, d])
    expect(table.evictOldest()).toBe(false)
  })

  it('clear ends every open timer and leaves the table usable', () => {
    const table = new TimerTable<string>(4)
    const ids = ['a', 'b', 'c'].map((name, i) => table.open(name, i, undefined))
    table.clear()
    expect(table.size).toBe(0)
    for (const id of ids) expect(table.find(id)).toBe(-1)
    expect(table.evictOldest()).toBe(false)
    const next = table.open('d', 4, undefined)
    expect(table.targetOf(table.find(next))).toBe('d')
  })
})

describe('TimerTable ids', () => {
  it('wraps a slot generation back to 1 before ids reach 2^30, keeping every id findable', () => {
    // At MAX_OPEN_TIMERS a slot has 2^30 / 2^20 = 1024 generations; opening and ending one timer
    // at a time cycles the 16 first slots, so slot 0 wraps after 16 * 1023 timers.
    const table = new TimerTable<number>(MAX_OPEN_TIMERS)
    let longest = 0
    let wrapped = ''
    for (let i = 0; i < 16 * 1024; i++) {
      const id = table.open(i, i, undefined)
      expect(Number(id)).toBeLessThan(2 ** 30)
      longest = Math.max(longest, id.length)
      const slot = table.find(id)
      if (table.targetOf(slot) !== i) expect.fail(`timer ${i} (id ${id}) not found`)
      if (i === 16 * 1023) wrapped = id
      table.close(slot)
    }
    expect(longest).toBe(10) // ids of 10 digits, up to 1023 * 2^20 + 15, are found too
    expect(wrapped).toBe(String(2 ** 20)) // slot 0, generation 1 again
  })

  it('rejects an open id with a leading zero', () => {
    const table = new TimerTable<string>(4)
    const id = table.open('a', 0, undefined)
    expect(table.find(id)).toBe(0)
    expect(table.find(`0${id}`)).toBe(-1)
    expect(table.find(`00${id}`)).toBe(-1)
  })

  it('rejects characters other than digits, even where they would add up to an open id', () => {
    const table = new TimerTable<string>(4)
    const ids = ['a', 'b', 'c', 'd'].map((name, i) => table.open(name, i, undefined))
    expect(ids).toEqual(['16', '17', '18', '19']) // generation 1 of slots 0-3
    // '/' and 'A' are the character codes just below '0' and past '9': as "digits" -1 and 17,
    // "2/" would read as 2 * 10 - 1 = 19 and "A" as 17
    expect(table.find('19')).toBe(3)
    expect(table.find('2/')).toBe(-1)
    expect(table.find('17')).toBe(1)
    expect(table.find('A')).toBe(-1)
  })
})
