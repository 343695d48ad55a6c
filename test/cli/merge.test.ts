import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Baseline } from '../../src/index.js'
import { parseBaselineFile, readEntry } from '../../src/storage/baseline-file.js'
import { baselineOf, perfwatch, writeBaselines } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

function entriesOf(path: string) {
  const parsed = parseBaselineFile(readFileSync(path, 'utf8'))
  return parsed.entries.map((raw) => readEntry(raw, parsed.version, {}))
}

describe('perfwatch merge', () => {
  it('merges each operation across files with Baseline.merge and keeps the others', async () => {
    const dir = tempDir()
    const a1 = baselineOf('db.query', range(1, 100))
    const b1 = baselineOf('db.query', range(51, 100))
    const only = baselineOf('http.get', range(200, 20))
    const a = writeBaselines(join(dir, 'a.json'), [a1, only])
    const b = writeBaselines(join(dir, 'b.json'), [b1])
    const out = join(dir, 'out', 'fleet.json')
    const { status, stdout, stderr } = await perfwatch(['merge', a, b, '-o', out])
    expect(stderr).toBe('')
    expect(status).toBe(0)
    expect(stdout).toBe(`${out}: 2 operations from 2 files (1 merged from several, 1 from one)\n`)
    const entries = entriesOf(out)
    expect(entries.map((entry) => entry.name)).toEqual(['db.query', 'http.get'])
    const merged = entries[0]?.baseline as Baseline
    const expected = Baseline.merge([a1, b1])
    expect(merged.sampleCount).toBe(200)
    expect(merged.toSummary()).toEqual({
      ...expected.toSummary(),
      establishedAt: merged.establishedAt,
    })
    // one file's baseline is kept as it was, exact quantiles included
    expect(entries[1]?.baseline?.toJSON()).toEqual(only.toJSON())
    // and perfwatch reads the result
    expect((await perfwatch(['report', out])).stdout).toContain(`${out}: 2 operations\n`)
  })

  it('may write over one of its inputs: every input is read first', async () => {
    const dir = tempDir()
    const shared = writeBaselines(join(dir, 'shared.json'), [baselineOf('op', range(1, 10))])
    const fresh = writeBaselines(join(dir, 'fresh.json'), [baselineOf('op', range(11, 10))])
    const { status, stdout } = await perfwatch(['merge', shared, fresh, '--output', shared])
    expect(status).toBe(0)
    expect(stdout).toBe(`${shared}: 1 operation from 2 files (1 merged from several, 0 from one)\n`)
    expect(entriesOf(shared)[0]?.baseline?.sampleCount).toBe(20)
  })

  it('refuses to replace an existing file that is not an input, unless --force', async () => {
    const dir = tempDir()
    const a = writeBaselines(join(dir, 'a.json'), [baselineOf('op', range(1, 10))])
    const out = join(dir, 'out.json')
    writeFileSync(out, 'precious')
    expect(await perfwatch(['merge', a, '-o', out])).toEqual({
      status: 2,
      stdout: '',
      stderr: `perfwatch: merge: ${out} exists and is not one of the inputs; add it as an input, or --force to replace it\n`,
    })
    expect(readFileSync(out, 'utf8')).toBe('precious')
    expect((await perfwatch(['merge', a, '-o', out, '--force'])).status).toBe(0)
    expect(entriesOf(out).map((entry) => entry.name)).toEqual(['op'])
  })

  it('keeps only the baselines learned after the latest reset, and says which it left out', async () => {
    const dir = tempDir()
    const resetAt = Date.parse('2026-12-07T10:00:00.000Z')
    const old = writeBaselines(join(dir, 'old.json'), [
      baselineOf('orders.price', range(1, 10)),
      baselineOf('gone', range(1, 10)),
    ])
    const reset = writeBaselines(
      join(dir, 'reset.json'),
      [],
      [
        { name: 'orders.price', resetAt },
        { name: 'gone', resetAt },
      ],
    )
    // learned again after the reset, in a third instance
    const text = readFileSync(
      writeBaselines(join(dir, 'new.json'), [baselineOf('orders.price', range(20, 10))]),
      'utf8',
    )
    const fresh = join(dir, 'new.json')
    writeFileSync(fresh, text.replace('"digest"', '"resetAt":"2026-12-07T10:00:00.000Z","digest"'))
    const out = join(dir, 'out.json')
    const { status, stdout, stderr } = await perfwatch(['merge', old, reset, fresh, '-o', out])
    expect(status).toBe(0)
    expect(stderr.split('\n').sort()).toEqual([
      '',
      'perfwatch: merge: left out a baseline of "gone" learned before its reset at 2026-12-07T10:00:00.000Z',
      'perfwatch: merge: left out a baseline of "orders.price" learned before its reset at 2026-12-07T10:00:00.000Z',
    ])
    expect(stdout).toBe(
      `${out}: 1 operation from 3 files (0 merged from several, 1 from one), 1 reset\n`,
    )
    const entries = entriesOf(out)
    expect(entries.map((e) => [e.name, e.baseline?.p50, e.resetAt])).toEqual([
      ['orders.price', 24.5, resetAt],
      ['gone', undefined, resetAt],
    ])
  })

  it('reports unreadable entries and goes on; exits 2 for an unreadable file, writing nothing', async () => {
    const dir = tempDir()
    const a = writeBaselines(join(dir, 'a.json'), [
      baselineOf('op', range(1, 10)),
      baselineOf('bad', range(2, 10)),
    ])
    writeFileSync(a, readFileSync(a, 'utf8').replace('"p50":6.5', '"p50":"x"'))
    const out = join(dir, 'out.json')
    const result = await perfwatch(['merge', a, '-o', out])
    expect(result.status).toBe(0)
    expect(result.stderr).toMatch(
      /^perfwatch: .*a\.json: skipped entry "bad": baseline bad: p50 is not a number/,
    )
    const missing = join(dir, 'missing.json')
    const out2 = join(dir, 'out2.json')
    expect(await perfwatch(['merge', a, missing, '-o', out2])).toMatchObject({
      status: 2,
      stdout: '',
    })
    expect(existsSync(out2)).toBe(false)
  })

  it('exits 2 without -o or without inputs, or when the output cannot be written', async () => {
    const dir = tempDir()
    const a = writeBaselines(join(dir, 'a.json'), [baselineOf('op', range(1, 10))])
    expect((await perfwatch(['merge', a])).stderr).toBe('perfwatch: merge: needs -o <out.json>\n')
    expect((await perfwatch(['merge', '-o', join(dir, 'o.json')])).stderr).toBe(
      'perfwatch: merge: needs at least one baseline file\n',
    )
    const blocked = join(a, 'out.json') // a file's "folder"
    const result = await perfwatch(['merge', a, '-o', blocked])
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(new RegExp(`^perfwatch: merge: ${blocked} cannot be written: `))
  })
})
