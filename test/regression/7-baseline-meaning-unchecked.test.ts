import { expect, it } from 'vitest'
import { Baseline } from '../../src/index.js'
import { editFile, fileTracker, savedFile } from '../helpers/baseline-file.js'
import { seededRandom } from '../helpers/random.js'

// Issue 7: the loader only checked "finite and >= 0": p95 1e308 switched slow-call warnings
// off, failureCount 1e15 the error detector, sampleCount 0.5 the maturing guard.
const random = seededRandom(5)
const json = () =>
  Baseline.fromSamples(
    'op',
    Float64Array.from({ length: 1000 }, () => 5 + 10 * random()),
  ).toJSON()

it.each([
  ['p95 of 1e308', { p95: 1e308, p99: 1e308 }, /p95 is not a number in \[0, 1000000000000\)/],
  ['p95 far above the digest', { p95: 1e6, p99: 1e6 }, /outside the digest's range/],
  ['failureCount of 1e15', { failureCount: 1e15 }, /failureCount is not an integer in \[0/],
  ['more failures than samples', { failureCount: 1001 }, /failureCount/],
  ['sampleCount of 0.5', { sampleCount: 0.5 }, /sampleCount is not an integer >= 2/],
  ['a sampleCount the digest does not have', { sampleCount: 5000 }, /digest counts add up/],
  ['quantiles out of order', { p75: 1 }, /quantiles are not in order/],
  ['a mean outside the digest', { mean: 0 }, /outside the digest's range/],
  ['a stdDev wider than the digest', { stdDev: 100 }, /stdDev .* is wider/],
])('refuses %s', (_, change, message) => {
  expect(() => Baseline.fromJSON({ ...json(), ...change })).toThrow(message)
})

it.each([
  ['unsorted centroids', (c: number[][]) => c.reverse(), /not ascending/],
  ['a centroid count of 0', (c: number[][]) => c[0]?.splice(1, 1, 0), /count that is not > 0/],
  ['no centroids', (c: number[][]) => c.splice(0), /no centroids/],
])('refuses %s', (_, edit, message) => {
  const record = json()
  edit(record.digest.centroids)
  expect(() => Baseline.fromJSON(record)).toThrow(message)
})

it('does not restore such an entry from a file', async () => {
  const path = await savedFile(3)
  editFile(path, (file) => {
    file.baselines.op1.p95 = 1e308
    file.baselines.op1.p99 = 1e308
  })
  const { tracker } = fileTracker(path)
  expect(tracker.getSystemSummary().trackedOperations).toEqual(['op0', 'op2'])
})
