import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Baseline, FILE_FORMAT } from '../../src/index.js'
import {
  ENTRY_SEPARATOR,
  FILE_MIDDLE,
  FILE_TAIL,
  type FileEntry,
  FileFormatError,
  fileHead,
  isNewer,
  parseBaselineFile,
  type RawEntry,
  readEntry,
  serializeBaselineFile,
  serializeEntry,
} from '../../src/storage/baseline-file.js'
import {
  establish,
  fileTracker,
  jsonMessage,
  LEARNED_AT,
  learned,
  tombstone,
} from '../helpers/baseline-file.js'
import { logNormal, seededRandom } from '../helpers/random.js'
import { tempDir } from '../helpers/tmp.js'
import { testTracker } from '../helpers/tracker.js'

const random = seededRandom(3)
const distributions: Record<string, () => number> = {
  'log-normal': logNormal(1, 10, 0.5),
  'wide log-normal': logNormal(2, 10, 1.5),
  pareto: () => 1 / (1 - random()) ** (1 / 1.2),
  'tie-heavy': () => (random() < 0.99 ? 5 : 100),
  constant: () => 3,
  bimodal: () => (random() < 0.7 ? 2 + random() : 50 + 10 * random()),
  'sub-microsecond': () => random() * 1e-4,
}

function samples(draw: () => number, n: number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => draw() * scale)
}

describe('the checks a reader makes', () => {
  // A check that refused perfwatch's own baselines would throw away what it learned.
  it.each(Object.keys(distributions))('accept every baseline perfwatch builds: %s', (name) => {
    const draw = distributions[name] as () => number
    for (const n of [2, 10, 100, 1000, 5000]) {
      const built = Baseline.fromSamples('op', samples(draw, n))
      const merged = Baseline.merge([built, Baseline.fromSamples('op', samples(draw, n))])
      let refreshed = built
      const checked = [built, merged]
      for (const drift of [1, 0.3, 3, 1]) {
        refreshed = Baseline.refreshed(refreshed, samples(draw, n, drift), { maxChange: 0.1 })
        checked.push(refreshed)
      }
      for (const baseline of checked) {
        expect(() => Baseline.fromJSON(JSON.parse(JSON.stringify(baseline)))).not.toThrow()
      }
    }
  })
})

describe('the version 2 file', () => {
  it('stores the digest exactly, as little-endian float32', async () => {
    const path = join(tempDir(), 'b.json')
    const { tracker } = fileTracker(path)
    for (let i = 0; i < 10; i++) tracker.record('op', 1 + i / 3)
    await tracker.close()
    const file = JSON.parse(readFileSync(path, 'utf8'))
    expect(file.format).toBe(FILE_FORMAT)
    const bytes = Buffer.from(file.baselines.op.digest.f32le, 'base64')
    const values = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(4 * i))
    const expected = Baseline.fromSamples(
      'op',
      Float64Array.from({ length: 10 }, (_, i) => 1 + i / 3),
    ).toJSON().digest.centroids
    expect(values).toEqual(expected.flat())
  })
})

describe('reading a version 2 file', () => {
  async function written(): Promise<string> {
    const path = join(tempDir(), 'b.json')
    const { tracker } = fileTracker(path)
    for (const name of ['a', 'b', 'c']) establish(tracker, name, 1)
    tracker.resetBaseline('c')
    await tracker.close()
    return path
  }

  it('loses only the entry whose line is damaged', async () => {
    const path = await written()
    const lines = readFileSync(path, 'utf8').split('\n')
    lines[2] = (lines[2] as string).replace('"p50":', '"p50"::')
    writeFileSync(path, lines.join('\n'))
    const { tracker, lines: log } = testTracker({ storagePath: path })
    expect(tracker.getSystemSummary().trackedOperations).toEqual(['a'])
    expect(log[0]?.msg).toMatch(/skipped 1 invalid baseline\(s\) .*"b" \(the entry is not JSON\)/)
  })

  it('reads the same file reformatted, as a whole document', async () => {
    const path = await written()
    const file = JSON.parse(readFileSync(path, 'utf8'))
    writeFileSync(path, JSON.stringify(file, null, 2))
    const { tracker } = fileTracker(path)
    expect(tracker.getSystemSummary().trackedOperations).toEqual(['a', 'b'])
    establish(tracker, 'c', 1) // learned after the reset: replaces it
    await tracker.close()
    const saved = JSON.parse(readFileSync(path, 'utf8'))
    expect(Object.keys(saved.baselines)).toEqual(['a', 'b', 'c'])
    expect(saved.resets).toEqual({})
    expect(saved.baselines.c.resetAt).toBe(file.resets.c.resetAt)
  })
})

// ---- the format, read and written by the pure module ------------------------------------

/** A file as perfwatch writes it: the baselines, then the resets, one per line. */
function fileText(baselines: FileEntry[], resets: FileEntry[] = []): string {
  return (
    fileHead(LEARNED_AT) +
    baselines.map(serializeEntry).join(ENTRY_SEPARATOR) +
    FILE_MIDDLE +
    resets.map(serializeEntry).join(ENTRY_SEPARATOR) +
    FILE_TAIL
  )
}

/** What a reader restores from `text`: the valid entries' names, the invalid ones' reasons. */
function readAll(text: string) {
  const parsed = parseBaselineFile(text)
  const names: string[] = []
  const invalid: string[][] = []
  for (const raw of parsed.entries) {
    try {
      names.push(readEntry(raw, parsed.version, {}).name)
    } catch (error) {
      invalid.push([raw.name, (error as Error).message])
    }
  }
  return { version: parsed.version, names, invalid }
}

/** The error `parseBaselineFile` throws for `text`. */
function formatError(text: string): FileFormatError {
  try {
    parseBaselineFile(text)
  } catch (error) {
    return error as FileFormatError
  }
  throw new Error('the file was read')
}

/** The stored value of one entry, as an object a test can edit. */
function storedValue(entry: FileEntry): Record<string, unknown> {
  return JSON.parse(`{${serializeEntry(entry)}}`)[entry.name]
}

describe('which of two entries of one operation wins', () => {
  const at = (iso: string) => Date.parse(iso)

  it('is the one after the later reset or accept, even against a baseline learned later', () => {
    // b learned on 11-02 after a reset on 11-01 at noon; a writer that did not know b reset
    // the operation again at 18:00: the operator's later action wins.
    const reset = tombstone('op', '2026-11-01T18:00:00.000Z')
    const relearned = learned('op', at('2026-11-01T12:00:00.000Z'))
    expect(isNewer(reset, relearned)).toBe(true)
    expect(isNewer(relearned, reset)).toBe(false)
  })

  it('after the same reset, is the later change; a tie keeps the entry already there', () => {
    const resetAt = at('2026-11-01T12:00:00.000Z')
    const early = learned('op', resetAt, 10, new Date('2026-11-02T00:00:00.000Z'))
    const late = learned('op', resetAt, 50, new Date('2026-11-02T00:00:00.001Z'))
    expect(isNewer(late, early)).toBe(true)
    expect(isNewer(early, late)).toBe(false)
    const twin = learned('op', resetAt, 50, new Date('2026-11-02T00:00:00.000Z'))
    expect(isNewer(twin, early)).toBe(false)
    expect(isNewer(early, twin)).toBe(false)
    // a tombstone changed at its reset: a baseline learned after that reset replaces it
    const reset = tombstone('op', '2026-11-01T12:00:00.000Z')
    expect(isNewer(early, reset)).toBe(true)
    expect(isNewer(reset, early)).toBe(false)
    expect(isNewer(reset, tombstone('op', '2026-11-01T12:00:00.000Z'))).toBe(false)
  })
})

describe('a file that cannot be read as a whole', () => {
  it('is not JSON: the error quotes the parser and says the file is not newer', () => {
    const text = '{ not json'
    const error = formatError(text)
    expect(error).toBeInstanceOf(FileFormatError)
    expect(error).toMatchObject({
      name: 'FileFormatError',
      message: `is not JSON (${jsonMessage(text)})`,
      isNewer: false,
    })
  })

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a number', '42'],
    ['a string', '"perfwatch.baselines"'],
    ['another format', JSON.stringify({ format: 'other', version: 2, baselines: {} })],
    ['no format', JSON.stringify({ version: 2, baselines: {} })],
  ])('is not a baseline file: %s', (_, text) => {
    expect(formatError(text)).toMatchObject({
      name: 'FileFormatError',
      message: 'is not a perfwatch baseline file (format is not "perfwatch.baselines")',
      isNewer: false,
    })
  })

  it.each([
    [3, true],
    [99, true],
    [2.5, true], // not a version this code wrote, and above it: newer
    [0, false],
    [-1, false],
    ['2', false], // a string is no version at all: moved aside, not kept for a newer reader
    ['3', false],
    [null, false],
    [undefined, false],
  ])('has version %j: refused, written by a newer perfwatch: %s', (version, isNewer) => {
    const text = JSON.stringify({ format: FILE_FORMAT, version, baselines: {} })
    expect(formatError(text)).toMatchObject({
      message: `has version ${JSON.stringify(version)}; this perfwatch reads versions 1 to 2`,
      isNewer,
    })
  })

  it.each([
    ['missing', undefined],
    ['null', null],
    ['an array', []],
    ['a string', 'op'],
  ])('has a "baselines" field that is %s', (_, baselines) => {
    const text = JSON.stringify({ format: FILE_FORMAT, version: 2, baselines })
    expect(formatError(text)).toMatchObject({
      message: 'has no "baselines" object',
      isNewer: false,
    })
  })

  it.each([
    ['a string', 'none'],
    ['an array', []],
    ['a number', 5],
  ])('has a "resets" field that is %s', (_, resets) => {
    const text = JSON.stringify({ format: FILE_FORMAT, version: 2, baselines: {}, resets })
    expect(formatError(text)).toMatchObject({
      message: 'has a "resets" field that is not an object',
      isNewer: false,
    })
  })

  it('has the layout perfwatch writes but a newer version in its first line', () => {
    const text = fileText([learned('db.query')]).replace('"version":2,', '"version":3,')
    expect(formatError(text)).toMatchObject({
      message: 'has version 3; this perfwatch reads versions 1 to 2',
      isNewer: true,
    })
  })

  it.each([
    ['something before its first line', (text: string) => `x${text}`],
    ['something after its last line', (text: string) => `${text}x`],
    ['lost its last line', (text: string) => text.slice(0, -FILE_TAIL.length + 1)],
  ])('has %s: not JSON, nothing is read from it', (_, edit) => {
    const text = edit(fileText([learned('db.query')], [tombstone('http.get', '2026-11-01')]))
    expect(formatError(text)).toMatchObject({
      message: `is not JSON (${jsonMessage(text)})`,
      isNewer: false,
    })
  })
})

describe('reading the entries of a file', () => {
  const resetAt = Date.parse('2026-11-01T12:00:00.000Z')

  it('reads every entry of the layout it writes, by line', () => {
    const text = fileText(
      [learned('db.query'), learned('http.get', resetAt)],
      [tombstone('orders.price', '2026-11-01T12:00:00.000Z')],
    )
    expect(readAll(text)).toEqual({
      version: 2,
      names: ['db.query', 'http.get', 'orders.price'],
      invalid: [],
    })
    const parsed = parseBaselineFile(text)
    expect(parsed.entries.map((raw) => [raw.name, raw.isReset])).toEqual([
      ['db.query', false],
      ['http.get', false],
      ['orders.price', true],
    ])
  })

  it('loses only the damaged line, with names of any length and an empty section', () => {
    const text = fileText(
      [],
      [tombstone('orders.price', '2026-11-01'), tombstone('orders.total', '2026-11-02')],
    )
    const damaged = text.replace('"orders.price":{"resetAt":', '"orders.price":{"resetAt"::')
    expect(readAll(damaged)).toEqual({
      version: 2,
      names: ['orders.total'],
      invalid: [['orders.price', 'the entry is not JSON']],
    })
    const baselines = fileText([learned('db.query'), learned('http.get')])
    expect(readAll(baselines.replace('"p50":', '"p50"::'))).toEqual({
      version: 2,
      names: ['http.get'],
      invalid: [['db.query', 'the entry is not JSON']],
    })
  })

  it.each([
    ['an indented entry line', (text: string) => text.replace('\n"http.get":', '\n  "http.get":')],
    [
      'the first entry on the first line',
      (text: string) => text.replace('"baselines":{\n', '"baselines":{'),
    ],
    ['no resets section', (text: string) => text.replace(FILE_MIDDLE, '\n')],
  ])('reads a file edited by hand as a whole document: %s', (_, edit) => {
    const text = edit(fileText([learned('db.query'), learned('http.get')]))
    expect(text).not.toBe(fileText([learned('db.query'), learned('http.get')]))
    expect(readAll(text)).toEqual({ version: 2, names: ['db.query', 'http.get'], invalid: [] })
  })

  it('ignores a "resets" field in a version 1 file, which had none', () => {
    const v1 = learned('db.query').baseline?.toJSON()
    for (const resets of ['not an object', { 'db.query': { resetAt: '2026-11-01' } }]) {
      const text = JSON.stringify({
        format: FILE_FORMAT,
        version: 1,
        baselines: { 'db.query': v1 },
        resets,
      })
      expect(readAll(text)).toEqual({ version: 1, names: ['db.query'], invalid: [] })
    }
  })
})

describe('the checks of one entry', () => {
  const check =
    (raw: RawEntry, version = 2) =>
    () =>
      readEntry(raw, version, {})

  it.each([
    ['empty', ''],
    ['longer than 1,024 characters', 'x'.repeat(1025)],
  ])('refuses a name that is %s', (_, name) => {
    const value = storedValue(learned(name))
    expect(check({ name, isReset: false, value })).toThrow(
      new TypeError('the name is empty or longer than 1024 characters'),
    )
    expect(check({ name, isReset: true, value: { resetAt: '2026-11-01' } })).toThrow(
      'the name is empty or longer than 1024 characters',
    )
  })

  it('accepts a name of exactly 1,024 characters', () => {
    const name = 'x'.repeat(1024)
    expect(readEntry({ name, isReset: false, value: storedValue(learned(name)) }, 2, {}).name).toBe(
      name,
    )
  })

  it.each([
    ['null', null],
    ['an array', []],
    ['a number', 5],
    ['a string', 'db.query'],
  ])('refuses an entry that is %s', (_, value) => {
    for (const isReset of [false, true]) {
      expect(check({ name: 'db.query', isReset, value })).toThrow(
        new TypeError('the entry is not an object'),
      )
      expect(check({ name: 'db.query', isReset, text: JSON.stringify(value) })).toThrow(
        new TypeError('the entry is not an object'),
      )
    }
  })

  it('refuses an entry filed under another operation', () => {
    const value = storedValue(learned('http.get'))
    expect(check({ name: 'db.query', isReset: false, value })).toThrow(
      new TypeError('the entry names operation "http.get"'),
    )
  })

  it.each([
    ['a number', 2026], // which Date.parse would take for the year 2026
    ['not a date', 'yesterday'],
    ['the epoch itself', '1970-01-01T00:00:00.000Z'],
    ['before the epoch', '1969-12-31T23:59:59.999Z'],
    ['missing from a reset', undefined],
  ])('refuses a resetAt that is %s', (_, resetAt) => {
    const message = new TypeError('resetAt is not an ISO-8601 date')
    expect(check({ name: 'db.query', isReset: true, value: { resetAt } })).toThrow(message)
    if (resetAt === undefined) return // a baseline without resetAt had no reset: tested below
    const value = { ...storedValue(learned('db.query')), resetAt }
    expect(check({ name: 'db.query', isReset: false, value })).toThrow(message)
  })

  it('reads resetAt in ms since the epoch, 0 for a baseline that had no reset', () => {
    const reset = { resetAt: '1970-01-01T00:00:00.001Z' }
    expect(readEntry({ name: 'db.query', isReset: true, value: reset }, 2, {})).toEqual({
      name: 'db.query',
      baseline: undefined,
      resetAt: 1,
    })
    const value = storedValue(learned('db.query'))
    expect(value).not.toHaveProperty('resetAt')
    expect(readEntry({ name: 'db.query', isReset: false, value }, 2, {}).resetAt).toBe(0)
    const after = storedValue(learned('db.query', Date.parse('2026-11-01T12:00:00.000Z')))
    expect(readEntry({ name: 'db.query', isReset: false, value: after }, 2, {}).resetAt).toBe(
      Date.parse('2026-11-01T12:00:00.000Z'),
    )
  })

  it.each([
    ['missing', () => undefined],
    ['not an object', () => 'AAAA'],
    ['without f32le', () => ({})],
    ['a number', () => ({ f32le: 1234 })],
    ['with characters outside base64', (f32le: string) => ({ f32le: `${f32le.slice(0, 4)}!` })],
    ['with a character outside base64 first', (f32le: string) => ({ f32le: `!${f32le}` })],
    ['with a character outside base64 last', (f32le: string) => ({ f32le: `${f32le}!` })],
    ['with more than two = at the end', (f32le: string) => ({ f32le: `${f32le}===` })],
  ])('refuses a digest %s', (_, digest) => {
    const value = storedValue(learned('db.query'))
    const f32le = (value.digest as { f32le: string }).f32le
    expect(
      check({ name: 'db.query', isReset: false, value: { ...value, digest: digest(f32le) } }),
    ).toThrow(new TypeError('digest.f32le is not a base64 string'))
  })

  it('refuses a digest that is not whole [mean, count] pairs of float32', () => {
    const value = storedValue(learned('db.query'))
    const bytes = Buffer.from((value.digest as { f32le: string }).f32le, 'base64')
    for (const length of [4, bytes.length - 4, bytes.length + 4]) {
      const f32le = Buffer.concat([bytes, Buffer.alloc(8)])
        .subarray(0, length)
        .toString('base64')
      expect(
        check({ name: 'db.query', isReset: false, value: { ...value, digest: { f32le } } }),
      ).toThrow(new TypeError('digest.f32le is not [mean, count] float32 pairs'))
    }
  })
})

describe('serializeBaselineFile', () => {
  it('writes what the store writes: baselines, then resets, each sorted by name', async () => {
    const dir = tempDir()
    const path = join(dir, 'store.json')
    const { tracker } = fileTracker(path)
    establish(tracker, 'b.op', 10)
    establish(tracker, 'a.op', 20)
    establish(tracker, 'c.op', 30)
    tracker.resetBaseline('c.op')
    await tracker.close()
    const text = readFileSync(path, 'utf8')
    const parsed = parseBaselineFile(text)
    const entries = parsed.entries.map((raw) => readEntry(raw, parsed.version, {}))
    const savedAt = new Date(JSON.parse(text).savedAt)
    // reversed, so the sort is what puts them in order
    expect(serializeBaselineFile(entries.reverse(), savedAt)).toBe(text)
  })

  it('writes an empty file that reads back empty', () => {
    const text = serializeBaselineFile([], LEARNED_AT)
    expect(text).toBe(`${fileHead(LEARNED_AT)}${FILE_MIDDLE}${FILE_TAIL}`)
    expect(parseBaselineFile(text).entries).toEqual([])
  })

  it('sorts names by UTF-16 code units', () => {
    const entries = ['b', 'B', 'a', '\u00e9'].map((name) => ({
      name,
      baseline: undefined,
      resetAt: 1,
    }))
    const text = serializeBaselineFile(entries, LEARNED_AT)
    expect(parseBaselineFile(text).entries.map((raw) => raw.name)).toEqual([
      'B',
      'a',
      'b',
      '\u00e9',
    ])
  })
})
