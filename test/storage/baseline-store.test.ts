import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Baseline, FILE_FORMAT, FILE_VERSION } from '../../src/index.js'
import { tryLockSync } from '../../src/storage/atomic-file.js'
import {
  ENTRY_SEPARATOR,
  FILE_MIDDLE,
  FILE_TAIL,
  type FileEntry,
  fileHead,
  serializeEntry,
} from '../../src/storage/baseline-file.js'
import {
  BaselineStore,
  type StoreOptions,
  type StoreSource,
} from '../../src/storage/baseline-store.js'
import {
  establish,
  fileTracker,
  jsonMessage,
  LEARNED_AT,
  learned,
  tombstone,
} from '../helpers/baseline-file.js'
import { ERROR, INFO, type LogLine, logSink } from '../helpers/log-sink.js'
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
    // p50 of 20 … 29: h = 9 · 0.5 = 4.5, 24 + 0.5 · 1 = 24.5
    expect(file.baselines.op).toMatchObject({ operation: 'op', p50: 24.5, sampleCount: 10 })
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

  it('keeps the quantiles a file holds as they are: an older version’s nearest-rank ones too', async () => {
    const path = join(tempDir(), 'b.json')
    // 10 … 19 ms: versions before R-7 stored p50 14, p75 17, p95 19, p99 19 (ranks ceil(p · 10));
    // R-7 gives 14.5, 16.75, 18.55, 18.91. The digest and moments are the same either way.
    const samples = Float64Array.from({ length: 10 }, (_, i) => 10 + i)
    const stored = { ...Baseline.fromSamples('old.op', samples).toJSON(), p50: 14, p75: 17 }
    const old = { ...stored, p95: 19, p99: 19 }
    writeFileSync(
      path,
      JSON.stringify({ format: FILE_FORMAT, version: 1, baselines: { 'old.op': old } }),
    )
    const { tracker } = fileTracker(path)
    expect(tracker.getOperationStats('old.op')?.baseline).toMatchObject({
      p50: 14,
      p75: 17,
      p95: 19,
      p99: 19,
    })
    // slow above min(p95 19, mean 14.5 + 2 · 3.03): 19 itself is not, as before
    tracker.record('old.op', 19)
    expect(tracker.getOperationStats('old.op')?.degradedCount).toBe(0)
    tracker.record('old.op', 19.5)
    expect(tracker.getOperationStats('old.op')?.degradedCount).toBe(1)
    establish(tracker, 'op') // a save: the old entry is written back unchanged
    await tracker.close()
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(file.baselines['old.op']).toMatchObject({ p50: 14, p75: 17, p95: 19, p99: 19 })
    expect(file.baselines.op).toMatchObject({ p50: 14.5, p95: expect.closeTo(18.55, 10) })
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

// ---- the store itself, with a hand-made tracker side ------------------------------------

afterEach(() => {
  vi.useRealTimers()
})

const CODE = 'PERFWATCH_BASELINE_FILE'
const at = (iso: string) => Date.parse(iso)

/** A file in the layout perfwatch writes, each entry's line given as is. */
function fileText(baselines: string[], resets: string[] = []): string {
  return (
    fileHead(LEARNED_AT) +
    baselines.join(ENTRY_SEPARATOR) +
    FILE_MIDDLE +
    resets.join(ENTRY_SEPARATOR) +
    FILE_TAIL
  )
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The tracker as the store sees it: its entries (what `adopt` hands back replaces them), the
 * names adopted, and how many saves merged its entries (each save asks for them once).
 */
function trackerSide(initial: FileEntry[] = []) {
  const byName = new Map(initial.map((entry) => [entry.name, entry]))
  const side = {
    byName,
    adopted: [] as string[],
    saves: 0,
    onAdopt: () => {},
    source: {
      entries: () => {
        side.saves++
        return [...byName.values()]
      },
      resetAtOf: (name: string) => byName.get(name)?.resetAt,
      adopt: (entry: FileEntry) => {
        side.adopted.push(entry.name)
        byName.set(entry.name, entry)
        side.onAdopt()
      },
    } satisfies StoreSource,
  }
  return side
}

function openStore(path: string, side = trackerSide(), options: Partial<StoreOptions> = {}) {
  const { logger, lines } = logSink()
  const store = new BaselineStore(
    path,
    logger,
    { saveDelayMs: 0, maxFileBytes: 1 << 24, baselineOptions: {}, ...options },
    side.source,
  )
  return { store, lines, side }
}

/** Writes `entries` to `path` as another tracker sharing the file would. */
async function writtenByAnother(path: string, entries: FileEntry[]): Promise<string> {
  const { store } = openStore(path, trackerSide(entries))
  store.scheduleSave()
  await store.close()
  return readFileSync(path, 'utf8')
}

const savedNames = (path: string) => {
  const file = JSON.parse(readFileSync(path, 'utf8'))
  return { baselines: Object.keys(file.baselines), resets: Object.keys(file.resets) }
}

/**
 * The `err` of a store's error line: a BaselineFileError naming the file and what failed, its
 * cause's message appended by pino's err serializer (`causePattern`, a regular expression).
 */
function fileError(path: string, message: string, causePattern: string) {
  return expect.objectContaining({
    type: 'BaselineFileError',
    code: CODE,
    path,
    message: expect.stringMatching(
      new RegExp(`^${escapeRegExp(`${path}: ${message}`)}: ${causePattern}$`),
    ),
  })
}

/** The error line of a failed save, as the store logs it. */
function saveFailure(path: string, reason: string, failures: number, retryMs: number): LogLine {
  return expect.objectContaining({
    level: ERROR,
    code: CODE,
    path,
    failures,
    retryMs,
    err: fileError(path, 'cannot be written', reason),
    msg: expect.stringMatching(
      new RegExp(
        `^perfwatch could not save baselines to ${escapeRegExp(path)} \\(${reason}\\); ` +
          `retrying in ${retryMs / 1000} s$`,
      ),
    ),
  })
}

describe('loading the file', () => {
  it('finds a missing file normal: no entries, no log line, nothing created', () => {
    const dir = tempDir()
    const { store, lines } = openStore(join(dir, 'b.json'))
    expect(store.load()).toEqual([])
    expect(lines).toEqual([])
    expect(readdirSync(dir)).toEqual([])
  })

  it('returns every valid entry in file order, logs nothing and keeps no copy', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    await writtenByAnother(path, [
      learned('http.get'),
      tombstone('orders.price', '2026-11-01'),
      learned('db.query', at('2026-10-01')),
    ])
    const { store, lines } = openStore(path)
    const entries = store.load()
    expect(entries.map((entry) => [entry.name, entry.resetAt])).toEqual([
      ['db.query', at('2026-10-01')],
      ['http.get', 0],
      ['orders.price', at('2026-11-01')],
    ])
    expect(entries[1]?.baseline?.toSummary()).toEqual(learned('http.get').baseline?.toSummary())
    expect(store.entryOf('orders.price')).toBe(entries[2])
    expect(store.entryOf('unknown')).toBeUndefined()
    expect(lines).toEqual([])
    expect(readdirSync(dir)).toEqual(['b.json'])
  })

  it.each([
    [
      'a folder',
      (path: string) => mkdirSync(path),
      (path: string) => `${path} is not a regular file`,
    ],
    [
      'one byte over maxFileBytes',
      (path: string) => writeFileSync(path, 'x'.repeat(1001)),
      (path: string) => `${path} is 1001 bytes, more than maxFileBytes \\(1000\\)`,
    ],
  ])('leaves %s alone, at load and at every save, and says why', async (_, make, reason) => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    make(path)
    const { store, lines } = openStore(path, trackerSide([learned('op')]), { maxFileBytes: 1000 })
    expect(store.load()).toEqual([])
    expect(lines).toEqual([
      {
        level: ERROR,
        time: expect.any(Number),
        pid: process.pid,
        hostname: hostname(),
        code: CODE,
        path,
        err: fileError(path, 'cannot be used', reason(path)),
        msg: expect.stringMatching(
          new RegExp(
            `^perfwatch cannot use ${escapeRegExp(path)} \\(${reason(path)}\\); it is left alone and ` +
              'baselines are kept in memory until it can be$',
          ),
        ),
      },
    ])
    store.scheduleSave()
    await store.flush()
    expect(lines[1]).toEqual(saveFailure(path, reason(path), 1, 1000))
    expect(readdirSync(dir)).toEqual(['b.json'])
    await store.close()
  })

  it('reads a file of exactly maxFileBytes', async () => {
    const path = join(tempDir(), 'b.json')
    const size = (await writtenByAnother(path, [learned('op')])).length
    expect(openStore(path, trackerSide(), { maxFileBytes: size }).store.load()).toHaveLength(1)
  })

  it('cannot use a path through a file, and says why', () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'file'), 'x')
    const path = join(dir, 'file', 'b.json')
    const { store, lines } = openStore(path)
    expect(store.load()).toEqual([])
    expect(lines).toEqual([
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        path,
        msg: `perfwatch cannot use ${path} (${path} cannot be read (ENOTDIR)); it is left alone and baselines are kept in memory until it can be`,
      }),
    ])
  })

  it('moves a file that is not a baseline file aside, under the lock, and starts empty', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const content = '{ not json'
    writeFileSync(path, content)
    const { store, lines } = openStore(path)
    expect(store.load()).toEqual([])
    const reason = `is not JSON (${jsonMessage(content)})`
    const movedTo = lines[0]?.movedTo as string
    expect(movedTo).toMatch(new RegExp(`^${escapeRegExp(path)}\\.corrupt-`))
    expect(lines).toEqual([
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        path,
        err: fileError(path, reason, escapeRegExp(reason)),
        msg: `perfwatch could not read ${path} (${reason}); moved it to ${movedTo} and started without baselines`,
      }),
    ])
    expect(readFileSync(movedTo, 'utf8')).toBe(content)
    expect(readdirSync(dir)).toEqual([movedTo.slice(dir.length + 1)]) // the lock is released
  })

  it('with another writer holding the lock, leaves it for the next save to move aside', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const content = 'not a baseline file'
    writeFileSync(path, content)
    const lock = tryLockSync(path, 30_000)
    const { store, lines } = openStore(path, trackerSide([learned('op')]))
    expect(store.load()).toEqual([])
    const reason = `is not JSON (${jsonMessage(content)})`
    expect(lines).toEqual([
      expect.objectContaining({
        code: CODE,
        path,
        err: fileError(path, reason, escapeRegExp(reason)),
        msg: `perfwatch could not read ${path} (${reason}); it will be moved aside before the next save; starting without baselines`,
      }),
    ])
    expect(lines[0]).not.toHaveProperty('movedTo')
    expect(readFileSync(path, 'utf8')).toBe(content)
    lock?.release()
    store.scheduleSave()
    await store.flush()
    const movedTo = lines[1]?.movedTo as string
    expect(movedTo).toMatch(new RegExp(`^${escapeRegExp(path)}\\.corrupt-`))
    expect(lines[1]).toEqual(
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        path,
        err: fileError(path, reason, escapeRegExp(reason)),
        msg: `perfwatch found ${path} unreadable (${reason}); moved it to ${movedTo}`,
      }),
    )
    expect(readFileSync(movedTo, 'utf8')).toBe(content)
    expect(savedNames(path)).toEqual({ baselines: ['op'], resets: [] })
  })

  it('leaves a file of a newer version alone and never writes over it', async () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const content = JSON.stringify({ format: FILE_FORMAT, version: 3, baselines: {} })
    writeFileSync(path, content)
    const { store, lines } = openStore(path, trackerSide([learned('op')]))
    expect(store.load()).toEqual([])
    const reason = 'has version 3; this perfwatch reads versions 1 to 2'
    expect(lines).toEqual([
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        path,
        err: fileError(path, reason, escapeRegExp(reason)),
        msg: `perfwatch cannot read ${path}: it ${reason}. It is left alone and baselines are kept in memory only`,
      }),
    ])
    expect(lines[0]).not.toHaveProperty('movedTo')
    store.scheduleSave()
    await store.flush()
    expect(lines[1]).toEqual(saveFailure(path, `it ${reason}; it is left alone`, 1, 1000))
    await store.close()
    expect(readFileSync(path, 'utf8')).toBe(content)
    expect(readdirSync(dir)).toEqual(['b.json'])
  })
})

describe('invalid entries at load', () => {
  const damaged = (name: string) => `${JSON.stringify(name)}:{"p50"::1}`
  const badReset = (name: string) => `${JSON.stringify(name)}:{"resetAt":"never"}`

  it('names each with its reason, restores the rest and keeps the file as read, once', () => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const text = fileText([damaged('a'), serializeEntry(learned('b'))], [badReset('c')])
    writeFileSync(path, text)
    const { store, lines } = openStore(path)
    expect(store.load().map((entry) => entry.name)).toEqual(['b'])
    const keptAt = lines[0]?.keptAt as string
    expect(keptAt).toMatch(new RegExp(`^${escapeRegExp(path)}\\.rejected-[0-9a-f]{16}$`))
    expect(lines).toEqual([
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        path,
        invalid: [
          { name: 'a', reason: 'the entry is not JSON' },
          { name: 'c', reason: 'resetAt is not an ISO-8601 date' },
        ],
        invalidCount: 2,
        keptAt,
        msg: `perfwatch skipped 2 invalid baseline(s) in ${path}: "a" (the entry is not JSON), "c" (resetAt is not an ISO-8601 date); the file as read is kept at ${keptAt}`,
      }),
    ])
    expect(readFileSync(keptAt, 'utf8')).toBe(text)
    // the same file read again is not copied again
    const again = openStore(path)
    expect(again.store.load()).toHaveLength(1)
    expect(again.lines[0]?.keptAt).toBe(keptAt)
    expect(readdirSync(dir).sort()).toEqual(['b.json', keptAt.slice(dir.length + 1)])
  })

  it.each([
    [1, ''],
    [20, ''],
    [21, ' and 1 more'],
    [25, ' and 5 more'],
  ])('lists at most 20 of %i invalid entries in the line, and counts the rest', (count, more) => {
    const dir = tempDir()
    const path = join(dir, 'b.json')
    const names = Array.from({ length: count }, (_, i) => `op${String(i).padStart(2, '0')}`)
    writeFileSync(path, fileText([], names.map(badReset)))
    const { store, lines } = openStore(path)
    expect(store.load()).toEqual([])
    const listed = names.slice(0, 20)
    const keptAt = lines[0]?.keptAt as string
    expect(lines[0]).toMatchObject({
      invalid: listed.map((name) => ({ name, reason: 'resetAt is not an ISO-8601 date' })),
      invalidCount: count,
      msg:
        `perfwatch skipped ${count} invalid baseline(s) in ${path}: ` +
        listed.map((name) => `"${name}" (resetAt is not an ISO-8601 date)`).join(', ') +
        `${more}; the file as read is kept at ${keptAt}`,
    })
  })

  it('logs a copy that cannot be kept, and still restores the valid entries', () => {
    const dir = tempDir()
    // 235 characters: the file's name fits (255 at most), <file>.rejected-<hash> does not
    const path = join(dir, `${'x'.repeat(230)}.json`)
    writeFileSync(path, fileText([serializeEntry(learned('a')), damaged('b')]))
    const { store, lines } = openStore(path)
    expect(store.load().map((entry) => entry.name)).toEqual(['a'])
    expect(lines).toEqual([
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        path,
        err: fileError(path, 'cannot be copied aside', 'ENAMETOOLONG: name too long, .*'),
        msg: `perfwatch could not keep a copy of ${path} with its invalid entries`,
      }),
      expect.objectContaining({
        level: ERROR,
        code: CODE,
        invalidCount: 1,
        msg: `perfwatch skipped 1 invalid baseline(s) in ${path}: "b" (the entry is not JSON)`,
      }),
    ])
    expect(lines[1]).not.toHaveProperty('keptAt')
    expect(readdirSync(dir)).toHaveLength(1)
  })
})

describe('when it saves', () => {
  it('writes nothing on a flush with no change', async () => {
    const path = join(tempDir(), 'b.json')
    const { store, side } = openStore(path, trackerSide([learned('op')]))
    await store.flush()
    expect(existsSync(path)).toBe(false)
    expect(side.saves).toBe(0)
  })

  it('writes each change once: flushes called together or after it write nothing more', async () => {
    const path = join(tempDir(), 'b.json')
    const { store, side } = openStore(path, trackerSide([learned('op')]), { saveDelayMs: 60_000 })
    store.scheduleSave()
    await Promise.all([store.flush(), store.flush()])
    expect(side.saves).toBe(1)
    expect(savedNames(path)).toEqual({ baselines: ['op'], resets: [] })
    await store.flush()
    expect(side.saves).toBe(1)
  })

  it('tries to save saveDelayMs after the last change, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const dir = tempDir()
    writeFileSync(join(dir, 'sub'), 'x') // the folder is a file: every attempt fails and logs
    const { store, lines } = openStore(join(dir, 'sub', 'b.json'), trackerSide([learned('op')]), {
      saveDelayMs: 5000,
    })
    store.scheduleSave()
    await vi.advanceTimersByTimeAsync(4000)
    store.scheduleSave() // a later change: the save waits 5 s from it
    await vi.advanceTimersByTimeAsync(4999)
    expect(lines).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(lines).toHaveLength(1)
    expect(lines[0]?.msg).toMatch(/^perfwatch could not save baselines .*; retrying in 5 s$/)
  })

  it('retries with backoff from saveDelayMs to 5 min, logs once a minute, says when it saves again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const dir = tempDir()
    writeFileSync(join(dir, 'sub'), 'x') // the folder is a file: every attempt fails
    const path = join(dir, 'sub', 'b.json')
    const { store, lines } = openStore(path, trackerSide([learned('op')]), { saveDelayMs: 5000 })
    store.scheduleSave()
    await vi.advanceTimersByTimeAsync(5000)
    const reason = "ENOTDIR: not a directory, open '.*'"
    expect(lines).toEqual([saveFailure(path, reason, 1, 5000)])
    expect(lines[0]?.suppressed).toBe(0)
    // attempts at 10, 20 and 40 s (not logged: within a minute), then at 80 s
    await vi.advanceTimersByTimeAsync(80_000 - 5000 - 1)
    expect(lines).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(lines).toHaveLength(2)
    // then at 160 s, 320 s (5 min from then on: the clamp), 620 s
    await vi.advanceTimersByTimeAsync(620_000 - 80_000)
    expect(lines.map((line) => [line.failures, line.retryMs, line.suppressed])).toEqual([
      [1, 5000, 0],
      [5, 80_000, 3],
      [6, 160_000, 0],
      [7, 300_000, 0],
      [8, 300_000, 0],
    ])
    expect(lines.at(-1)).toEqual(saveFailure(path, reason, 8, 300_000))
    vi.useRealTimers()
    rmSync(join(dir, 'sub'))
    await store.flush()
    expect(savedNames(path)).toEqual({ baselines: ['op'], resets: [] })
    expect(lines.at(-1)).toEqual(
      expect.objectContaining({
        level: INFO,
        path,
        failures: 8,
        msg: `perfwatch saved baselines to ${path} again after 8 failed attempt(s)`,
      }),
    )
    store.scheduleSave()
    await store.flush() // a save after a save that worked logs nothing
    expect(lines).toHaveLength(6)
    await store.close()
  })

  it('waits up to 10 s for another writer to release the lock, then retries later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const path = join(tempDir(), 'b.json')
    const lock = tryLockSync(path, 30_000)
    const { store, lines, side } = openStore(path, trackerSide([learned('op')]))
    store.scheduleSave()
    const flushed = store.flush()
    await vi.advanceTimersByTimeAsync(9800)
    expect(lines).toEqual([])
    await vi.advanceTimersByTimeAsync(400) // the last wait before 10 s is at most 150 ms
    await flushed
    const owner = `pid ${process.pid} \\(thread ${threadId}\\) on ${escapeRegExp(hostname())}`
    expect(lines).toEqual([
      saveFailure(
        path,
        `${escapeRegExp(path)}\\.lock is held by ${owner}; waited \\d+ ms`,
        1,
        1000,
      ),
    ])
    const waitedMs = Number(/waited (\d+) ms/.exec(lines[0]?.msg as string)?.[1])
    expect(waitedMs).toBeGreaterThanOrEqual(10_000)
    expect(waitedMs).toBeLessThanOrEqual(10_200)
    expect(side.saves).toBe(0)
    lock?.release()
    await vi.advanceTimersByTimeAsync(1000) // the retry takes the free lock
    vi.useRealTimers()
    await store.close()
    expect(savedNames(path)).toEqual({ baselines: ['op'], resets: [] })
  })

  it('after close, saves no later change', async () => {
    const path = join(tempDir(), 'b.json')
    const side = trackerSide([learned('op')])
    const { store } = openStore(path, side)
    store.scheduleSave()
    await store.close()
    const text = readFileSync(path, 'utf8')
    side.byName.set('later', learned('later'))
    store.scheduleSave()
    await store.flush()
    expect(side.saves).toBe(1)
    expect(readFileSync(path, 'utf8')).toBe(text)
  })

  it('drops a pending retry at close', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    const dir = tempDir()
    writeFileSync(join(dir, 'sub'), 'x')
    const { store, lines } = openStore(join(dir, 'sub', 'b.json'), trackerSide([learned('op')]))
    store.scheduleSave()
    await store.flush()
    await store.close() // tries once more (held back from the log: within a minute)
    expect(lines.map((line) => line.failures)).toEqual([1])
    await vi.advanceTimersByTimeAsync(3_600_000)
    expect(lines.map((line) => line.failures)).toEqual([1])
  })
})

describe('merging with another writer of the file', () => {
  it('hands the tracker what another writer reset or accepted after it, and nothing else', async () => {
    const path = join(tempDir(), 'b.json')
    await writtenByAnother(path, [
      tombstone('reset.there', '2026-11-01T18:00:00.000Z'),
      learned('same.reset', at('2026-11-01T12:00:00.000Z'), 10),
      learned('older.reset', at('2026-11-01T06:00:00.000Z'), 10),
      tombstone('unknown.here', '2026-11-01T20:00:00.000Z'),
    ])
    const noon = at('2026-11-01T12:00:00.000Z')
    const later = new Date('2026-11-03T00:00:00.000Z')
    const side = trackerSide([
      learned('reset.there', noon, 50),
      learned('same.reset', noon, 50, later),
      learned('older.reset', noon, 50),
    ])
    const { store, lines } = openStore(path, side)
    store.scheduleSave()
    await store.flush()
    expect(side.adopted).toEqual(['reset.there'])
    // per operation the newer entry is written: the later reset, then the later change
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(Object.keys(file.resets)).toEqual(['reset.there', 'unknown.here'])
    expect(Object.keys(file.baselines)).toEqual(['older.reset', 'same.reset'])
    // the tracker's baselines, p50 of 50 … 59 = 54.5 (the other writer's: 14.5)
    expect(file.baselines['same.reset'].p50).toBe(54.5)
    expect(file.baselines['older.reset'].p50).toBe(54.5)
    expect(lines).toEqual([])
  })

  it('saves what the tracker changes while adopting in the same write, not twice', async () => {
    const path = join(tempDir(), 'b.json')
    await writtenByAnother(path, [tombstone('op', '2026-11-01T18:00:00.000Z')])
    const side = trackerSide([learned('op', at('2026-11-01T12:00:00.000Z'))])
    const { store } = openStore(path, side, { saveDelayMs: 60_000 })
    side.onAdopt = () => store.scheduleSave() // as the tracker does when a baseline changes
    store.scheduleSave()
    await store.flush()
    expect(side.adopted).toEqual(['op'])
    await store.flush()
    expect(side.saves).toBe(1)
    expect(savedNames(path)).toEqual({ baselines: [], resets: ['op'] })
  })

  it('hands back nothing of the file it loaded itself, while the file is unchanged', async () => {
    const path = join(tempDir(), 'b.json')
    await writtenByAnother(path, [tombstone('op', '2026-11-01T18:00:00.000Z')])
    const side = trackerSide([learned('op', at('2026-11-01T12:00:00.000Z'))])
    const { store } = openStore(path, side)
    expect(store.load()).toHaveLength(1)
    store.scheduleSave()
    await store.flush()
    expect(side.adopted).toEqual([])
  })

  it('reads a large file of another writer 100 entries per turn of the event loop, keeping all', async () => {
    const path = join(tempDir(), 'b.json')
    const names = Array.from({ length: 250 }, (_, i) => `op${String(i).padStart(3, '0')}`)
    await writtenByAnother(
      path,
      names.map((name) => learned(name)),
    )
    // Restoring a baseline reads the options once: a count of the entries read so far.
    let read = 0
    const baselineOptions = {
      get stdDevThreshold() {
        read++
        return 2
      },
    }
    const { store, lines } = openStore(path, trackerSide([learned('mine')]), { baselineOptions })
    const perTurn: number[] = []
    let seen = 0
    let isSaving = true
    const observe = () => {
      perTurn.push(read - seen)
      seen = read
      if (isSaving) setImmediate(observe)
    }
    setImmediate(observe)
    store.scheduleSave()
    await store.flush()
    isSaving = false
    // entries 0-98, then a turn before entry 99 and before entry 199
    expect(perTurn.filter((count) => count > 0)).toEqual([99, 100, 51])
    expect(savedNames(path).baselines).toEqual(['mine', ...names])
    expect(lines).toEqual([])
  })
})

describe('the file it writes', () => {
  it('sorts the entries by name, in UTF-16 code unit order', async () => {
    const path = join(tempDir(), 'b.json')
    const names = ['b', 'é', 'B', 'a.b', 'a', 'Z', '_']
    await writtenByAnother(
      path,
      names.map((name) => learned(name)),
    )
    expect(savedNames(path).baselines).toEqual(['B', 'Z', '_', 'a', 'a.b', 'b', 'é'])
  })

  it('writes a file larger than one chunk (262,144 characters) whole', async () => {
    const path = join(tempDir(), 'b.json')
    const names = Array.from({ length: 150 }, (_, i) =>
      String(i).padStart(3, '0').padEnd(1000, 'x'),
    )
    const text = await writtenByAnother(
      path,
      names.map((name) => learned(name)),
    )
    expect(text.length).toBeGreaterThan(262_144)
    const { store, lines } = openStore(path)
    expect(store.load().map((entry) => entry.name)).toEqual(names)
    expect(lines).toEqual([])
    expect(statSync(path).size).toBe(Buffer.byteLength(text))
  })
})
