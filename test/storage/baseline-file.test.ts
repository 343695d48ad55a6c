import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Baseline, FILE_FORMAT } from '../../src/index.js'
import { establish, fileTracker } from '../helpers/baseline-file.js'
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
