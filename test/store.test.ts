import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  FILE_FORMAT,
  FILE_VERSION,
  type PerformanceTracker,
  type TrackerOptions,
} from '../src/index.js'
import { ERROR } from './helpers/log-sink.js'
import { tempDir } from './helpers/tmp.js'
import { testTracker } from './helpers/tracker.js'

function open(storagePath: string, options: TrackerOptions = {}) {
  const { tracker, lines } = testTracker({
    storagePath,
    baselineSamples: 10,
    saveDelayMs: 0,
    ...options,
  })
  return { tracker, lines }
}

function establish(tracker: PerformanceTracker, name: string, base = 10) {
  for (let i = 0; i < 10; i++) tracker.record(name, base + i)
}

describe('baseline persistence', () => {
  it('restores baselines in a new tracker before any new sample', async () => {
    const path = join(tempDir(), 'nested', 'folder', 'baselines.json')
    const first = open(path).tracker
    establish(first, 'db.query')
    establish(first, 'http.get', 100)
    await first.close()

    const { tracker: second, lines } = open(path)
    const restored = second.getOperationStats('db.query')
    expect(restored?.baseline).toEqual(first.getOperationStats('db.query')?.baseline)
    expect(restored).toMatchObject({ sampleCount: 0, totalCount: 0, recentMean: null })
    expect(second.getSystemSummary().trackedOperations).toEqual(['db.query', 'http.get'])
    expect(lines.some((l) => /restored 2 baseline\(s\)/.test(l.msg))).toBe(true)
    // the restored baseline is used at once: the first sample is already checked
    second.record('db.query', 500)
    expect(second.getOperationStats('db.query')?.degradedCount).toBe(1)
  })

  it('writes a versioned file atomically, leaving no temporary files', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const { tracker } = open(path)
    establish(tracker, 'op')
    await tracker.flush()
    expect(readdirSync(dir)).toEqual(['b.json'])
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(file).toMatchObject({ format: FILE_FORMAT, version: FILE_VERSION })
    expect(file.baselines.op).toMatchObject({ operation: 'op', p50: 14, sampleCount: 10 })
    expect(file.baselines.op.digest.centroids.length).toBeGreaterThan(0)
  })

  it('debounces writes and flush() waits for them', async () => {
    const path = join(tempDir(), 'b.json')
    const { tracker } = open(path, { saveDelayMs: 60_000 })
    establish(tracker, 'op')
    expect(existsSync(path)).toBe(false)
    await tracker.flush()
    expect(existsSync(path)).toBe(true)
  })

  it('treats a missing file as normal', () => {
    const { tracker, lines } = open(join(tempDir(), 'none.json'))
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
    expect(lines).toEqual([])
  })

  it.each([
    ['corrupt', '{ not json'],
    [
      'truncated',
      '{"format":"perfwatch.baselines","version":1,"baselines":{"op":{"operation":"op",',
    ],
    ['a future version', JSON.stringify({ format: FILE_FORMAT, version: 99, baselines: {} })],
    ['another format', JSON.stringify({ hello: 'world' })],
    [
      'an invalid baseline',
      JSON.stringify({ format: FILE_FORMAT, version: 1, baselines: { op: { operation: 'op' } } }),
    ],
  ])('moves %s file aside, logs an error and starts empty', async (_, content) => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    writeFileSync(path, content)
    const { tracker, lines } = open(path)
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
    const error = lines.find((l) => l.level === ERROR)
    expect(error?.msg).toMatch(/moved it to .*b\.json\.corrupt-/)
    const aside = readdirSync(dir).find((name) => name.startsWith('b.json.corrupt-'))
    expect(aside).toBeDefined()
    expect(readFileSync(join(dir, aside as string), 'utf8')).toBe(content)
    // new baselines are then written to a fresh file
    establish(tracker, 'op')
    await tracker.flush()
    expect(JSON.parse(readFileSync(path, 'utf8')).baselines.op.operation).toBe('op')
  })

  it('never writes over a file it could not read or move aside', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    mkdirSync(path) // a folder where the file should be: unreadable and not a file
    const { tracker, lines } = open(path)
    expect(lines.filter((l) => l.level === ERROR)).toHaveLength(1)
    establish(tracker, 'op')
    await tracker.flush()
    expect(readdirSync(path)).toEqual([])
  })

  it('logs a failed write and keeps working in memory', async () => {
    const dir = tempDir()
    const { tracker, lines } = open(join(dir, 'sub', 'b.json'))
    writeFileSync(join(dir, 'sub'), 'x') // the folder to create is now a file
    establish(tracker, 'op')
    await tracker.flush()
    expect(lines.find((l) => l.level === ERROR)?.msg).toMatch(/could not save baselines/)
    expect(tracker.getOperationStats('op')?.baseline).toBeDefined()
  })
})
