import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname

/** Runs the built demo (npm test builds first) with its temp folder in `tmp`; returns its lines. */
async function demo(tmp: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(root, 'dist/demo/pipeline.js')], {
    cwd: tmp,
    // os.tmpdir() follows TMPDIR: the run's files land in the test's folder, removed after it
    env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' },
    timeout: 60_000,
  })
  return stdout.split('\n')
}

describe('npm run demo:pipeline', () => {
  it('prints the summary, the analysis and the CSV path of 50 items through 4 stages', {
    timeout: 90_000,
  }, async () => {
    const tmp = tempDir()
    const lines = await demo(tmp)

    expect(lines).toContain('Summary (getRunSummary)')
    expect(
      lines.some((l) =>
        /^ {2}50 items, 200 stage metrics, wall time \S+, [\d.]+ items\/s, 3 errors$/.test(l),
      ),
    ).toBe(true)
    expect(
      lines.some((l) => /^ {2}llm: 5\d API calls, \d+ input \+ \d+ output tokens, /.test(l)),
    ).toBe(true)
    for (const stage of ['parsing', 'extraction', 'enrichment', 'output']) {
      expect(
        lines.some((l) => new RegExp(`^ {2}${stage} +50 `).test(l)),
        stage,
      ).toBe(true)
    }
    // The rate-limited extractions: caught, counted as failed, and the pipeline went on.
    expect(lines.filter((l) => l.includes('extraction failed (RateLimitError)'))).toHaveLength(3)
    expect(lines.some((l) => l.startsWith('    [high] Optimize extraction: p95 '))).toBe(true)
    expect(
      lines.some((l) =>
        l.startsWith('    [medium] Fix failures in extraction: 6.0% of items failed (3 of 50;'),
      ),
    ).toBe(true)

    const csvLine = lines.find((l) => l.startsWith('CSV (exportMetricsCsv): '))
    const path = csvLine?.slice('CSV (exportMetricsCsv): '.length) ?? ''
    expect(path.startsWith(tmp)).toBe(true)
    expect(existsSync(path)).toBe(true)
    const records = parse(readFileSync(path, 'utf8')) as string[][]
    expect(records).toHaveLength(201) // the header and one row per item and stage
    const [header = [], ...rows] = records
    expect(header.slice(0, 4)).toEqual(['run_id', 'item_id', 'stage', 'duration_seconds'])
    const column = (name: string) => rows.map((row) => row[header.indexOf(name)])
    expect(new Set(column('item_id')).size).toBe(50)
    const failed = rows.filter((row) => row[header.indexOf('status')] === 'error')
    expect(failed.map((row) => row[2])).toEqual(['extraction', 'extraction', 'extraction'])
    expect(lines).toContain(`  200 rows, ${header.length} columns: ${header.join(', ')}`)
  })
})
