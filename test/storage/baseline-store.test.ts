import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Baseline, FILE_FORMAT, FILE_VERSION } from '../../src/index.js'
import { establish, fileTracker } from '../helpers/baseline-file.js'
import { ERROR } from '../helpers/log-sink.js'
import { tempDir } from '../helpers/tmp.js'

describe('baseline persistence', () => {
  it('restores baselines in a new tracker before any new sample', async () => {
    const path = join(tempDir(), 'nested', 'folder', 'baselines.json')
    const first = fileTracker(path).tracker
    establish(first, 'db.query')
    establish(first, 'http.get', 100)
    await first.close()

    const { tracker: second, lines } = fileTracker(path)
    const restored = second.getOperationStats('db.query')
    expect(restored?.baseline).toEqual(first.getOperationStats('db.query')?.baseline)
    expect(restored).toMatchObject({ sampleCount: 0, totalCount: 0, recentMean: null })
    expect(second.getSystemSummary().trackedOperations).toEqual(['db.query', 'http.get'])
    expect(lines.some((l) => /restored 2 baseline\(s\)/.test(l.msg))).toBe(true)
    // the restored baseline is used at once: the first sample is already checked
    second.record('db.query', 500)
    expect(second.getOperationStats('db.query')?.degradedCount).toBe(1)
  })

  it('writes a compact versioned file atomically, one entry per line, no temporary files', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const { tracker } = fileTracker(path)
    establish(tracker, 'op')
    establish(tracker, 'db "main"\nquery')
    tracker.resetBaseline('op')
    establish(tracker, 'reset.only')
    tracker.resetBaseline('reset.only')
    establish(tracker, 'op', 20)
    await tracker.flush()
    expect(readdirSync(dir)).toEqual(['b.json'])
    const text = readFileSync(path, 'utf8')
    const lines = text.split('\n')
    expect(lines[0]).toMatch(
      /^\{"format":"perfwatch.baselines","version":2,"savedAt":"[^"]+","baselines":\{$/,
    )
    expect(lines.slice(1, 3).map((line) => JSON.parse(`{${line.replace(/,$/, '')}}`))).toEqual([
      { 'db "main"\nquery': expect.objectContaining({ operation: 'db "main"\nquery' }) },
      { op: expect.objectContaining({ operation: 'op' }) },
    ])
    const file = JSON.parse(text)
    expect(file).toMatchObject({ format: FILE_FORMAT, version: FILE_VERSION })
    expect(file.baselines.op).toMatchObject({ operation: 'op', p50: 24, sampleCount: 10 })
    expect(file.baselines.op.resetAt).toEqual(expect.any(String))
    expect(file.baselines.op.digest.f32le).toMatch(/^[A-Za-z0-9+/]+=*$/)
    expect(Object.keys(file.resets)).toEqual(['reset.only'])
    // what was written is what the next tracker restores
    const second = fileTracker(path).tracker
    expect(second.getOperationStats('op')?.baseline).toEqual(
      tracker.getOperationStats('op')?.baseline,
    )
    expect(second.getOperationState('reset.only')).toBeUndefined()
  })

  it('debounces writes and flush() waits for them', async () => {
    const path = join(tempDir(), 'b.json')
    const { tracker } = fileTracker(path, { saveDelayMs: 60_000 })
    establish(tracker, 'op')
    expect(existsSync(path)).toBe(false)
    await tracker.flush()
    expect(existsSync(path)).toBe(true)
  })

  it('treats a missing file as normal', () => {
    const { tracker, lines } = fileTracker(join(tempDir(), 'none.json'))
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
    expect(lines).toEqual([])
  })

  it.each([
    ['corrupt', '{ not json'],
    [
      'truncated',
      '{"format":"perfwatch.baselines","version":2,"baselines":{"op":{"operation":"op",',
    ],
    ['another format', JSON.stringify({ hello: 'world' })],
  ])('moves a %s file aside, logs an error and starts empty', async (_, content) => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    writeFileSync(path, content)
    const { tracker, lines } = fileTracker(path)
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

  it('leaves a file of a newer version alone and never writes over it', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const content = JSON.stringify({ format: FILE_FORMAT, version: 99, baselines: {} })
    writeFileSync(path, content)
    const { tracker, lines } = fileTracker(path)
    expect(lines.find((l) => l.level === ERROR)?.msg).toMatch(
      /has version 99; this perfwatch reads versions 1 to 2\. It is left alone/,
    )
    establish(tracker, 'op')
    await tracker.flush()
    expect(readFileSync(path, 'utf8')).toBe(content)
    expect(readdirSync(dir)).toEqual(['b.json'])
    expect(lines.at(-1)?.msg).toMatch(
      /could not save baselines .*it is left alone\); retrying in 1 s/,
    )
    await tracker.close()
  })

  it('reads version 1 files and writes version 2 at the next save', async () => {
    const path = join(tempDir(), 'b.json')
    const baseline = Baseline.fromSamples('v1.op', Float64Array.from([5, 6, 7, 8]))
    writeFileSync(
      path,
      JSON.stringify(
        {
          format: FILE_FORMAT,
          version: 1,
          savedAt: '2026-01-01T00:00:00Z',
          baselines: { 'v1.op': baseline },
        },
        null,
        2,
      ),
    )
    const { tracker } = fileTracker(path)
    expect(tracker.getOperationStats('v1.op')?.baseline).toEqual(baseline.toSummary())
    establish(tracker, 'op')
    await tracker.flush()
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(file.version).toBe(2)
    expect(Object.keys(file.baselines)).toEqual(['op', 'v1.op'])
    expect(fileTracker(path).tracker.getOperationStats('v1.op')?.baseline).toEqual(
      baseline.toSummary(),
    )
  })

  it('never writes over a folder where the file should be', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    mkdirSync(path)
    const { tracker, lines } = fileTracker(path)
    expect(lines.filter((l) => l.level === ERROR).map((l) => l.msg)).toEqual([
      expect.stringMatching(/is not a regular file\); it is left alone/),
    ])
    establish(tracker, 'op')
    await tracker.flush()
    expect(readdirSync(path)).toEqual([])
    await tracker.close()
  })

  it('logs a failed write, keeps working in memory, and saves once the cause is gone', async () => {
    const dir = tempDir()
    const { tracker, lines } = fileTracker(join(dir, 'sub', 'b.json'))
    writeFileSync(join(dir, 'sub'), 'x') // the folder to create is now a file
    establish(tracker, 'op')
    await tracker.flush()
    expect(lines.find((l) => l.level === ERROR)?.msg).toMatch(/could not save baselines/)
    expect(tracker.getOperationStats('op')?.baseline).toBeDefined()
    rmSync(join(dir, 'sub'))
    await tracker.flush()
    expect(JSON.parse(readFileSync(join(dir, 'sub', 'b.json'), 'utf8')).baselines.op).toBeDefined()
    expect(lines.at(-1)?.msg).toMatch(/saved baselines to .* again after 1 failed attempt/)
  })
})
