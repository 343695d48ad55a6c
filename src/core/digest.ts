/**
 * The one module that imports the tdigest package: building, merging and reading digests. Nothing
 * public exposes the package's types (`Digest` below describes what callers may use).
 */
import tdigest from 'tdigest'
import type { Quantiles } from './stats.js'

// t-digest compression: at 0.02 a baseline of 1,000 samples keeps about 240 centroids
// (docs/results/memory.md) and the merge of ten trackers' baselines is 0.041 % off the exact
// p99 (docs/results/accuracy.md).
const DIGEST_DELTA = 0.02

/**
 * What `Baseline.toDigest()` returns: a `TDigest` of the tdigest package, typed here by the
 * methods a merge uses, so a project that type-checks libraries needs no `@types/tdigest`.
 */
export interface Digest {
  /** Adds a value, or values, each with count `n` (default 1). */
  push(x: number | readonly number[], n?: number): void
  /** Adds centroids, such as another digest's `toArray()`. */
  push_centroid(centroids: Centroid | ReadonlyArray<Centroid>): void
  /** The estimated quantile at `p` in [0, 1]. */
  percentile(p: number): number
  /** The centroids in ascending mean. */
  toArray(): Centroid[]
  /** The number of centroids. */
  size(): number
  compress(): void
}

/** One centroid: a mean and the (possibly fractional) count of values it stands for. */
export interface Centroid {
  mean: number
  n: number
}

/** A new, empty digest with perfwatch's compression. */
export function newDigest(): Digest {
  return new tdigest.TDigest(DIGEST_DELTA)
}

/**
 * The digest of sorted samples. Sorted input is the digest's worst case (a centroid per value);
 * visiting them in a fixed stride order coprime with their count spreads them like random input.
 * No compress(): it reshuffles at random, so the same samples gave different digests; without it
 * the digest is deterministic.
 */
export function digestOfSamples(samples: ArrayLike<number>): Digest {
  const digest = newDigest()
  const n = samples.length
  const stride = n % 7919 === 0 ? 7907 : 7919
  for (let i = 0, j = 0; i < n; i++, j = (j + stride) % n) digest.push(samples[j] as number)
  return digest
}

/**
 * One digest of several, each part's centroid counts scaled by its `scale`. No compress() here
 * either, so a merge is deterministic too.
 */
export function mergedDigest(
  parts: ReadonlyArray<{ centroids: ReadonlyArray<Centroid>; scale: number }>,
): Digest {
  const digest = newDigest()
  for (const { centroids, scale } of parts) {
    digest.push_centroid(centroids.map((c) => ({ mean: c.mean, n: c.n * scale })))
  }
  return digest
}

/** A digest's centroids interleaved as [mean0, count0, mean1, count1, ...], as float32. */
export function centroidsOf(digest: Digest): Float32Array {
  const list = digest.toArray()
  const centroids = new Float32Array(list.length * 2)
  list.forEach((c, i) => {
    centroids[2 * i] = c.mean
    centroids[2 * i + 1] = c.n
  })
  return centroids
}

/** The quantiles perfwatch reports, estimated from a digest. */
export function quantilesOf(digest: Digest): Quantiles {
  return {
    p50: digest.percentile(0.5),
    p75: digest.percentile(0.75),
    p95: digest.percentile(0.95),
    p99: digest.percentile(0.99),
  }
}

/**
 * The cumulative distribution a digest's centroids describe, at `x`: the piecewise-linear CDF
 * through one point per centroid, `(mean_i, (count of the centroids before i + count_i / 2) / N)`,
 * 0 below the first mean and 1 above the last. `centroids` are interleaved
 * `[mean0, count0, mean1, count1, ...]` in ascending mean (what `Baseline` keeps), at least one.
 *
 * Example: centroids `[1, 1, 2, 2, 4, 1]` (N = 4) give the points (1, 0.125), (2, 0.5),
 * (4, 0.875): F(0.5) = 0, F(1.5) = 0.3125, F(3) = 0.6875, F(4) = 0.875, F(5) = 1.
 */
export function cdfOfCentroids(centroids: ArrayLike<number>, x: number): number {
  return cdfAt(cdfPoints(centroids), x)
}

/**
 * The Kolmogorov-Smirnov distance of two digests: the largest `|F1(x) - F2(x)|` of their
 * centroid CDFs (`cdfOfCentroids`) over the union of both digests' centroid means. Both CDFs are
 * linear between those points, so so is their difference, and its largest value is at one of
 * them. 0 for the same digest, 1 at most.
 */
export function ksDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const pointsA = cdfPoints(a)
  const pointsB = cdfPoints(b)
  let distance = 0
  for (const points of [pointsA, pointsB]) {
    for (const x of points.means) {
      distance = Math.max(distance, Math.abs(cdfAt(pointsA, x) - cdfAt(pointsB, x)))
    }
  }
  return distance
}

interface CdfPoints {
  means: number[]
  levels: number[]
}

function cdfPoints(centroids: ArrayLike<number>): CdfPoints {
  const means: number[] = []
  const levels: number[] = []
  let below = 0
  for (let i = 0; i < centroids.length; i += 2) {
    const count = centroids[i + 1] as number
    means.push(centroids[i] as number)
    levels.push(below + count / 2)
    below += count
  }
  // `below` is now the total count N
  return { means, levels: levels.map((level) => level / below) }
}

function cdfAt({ means, levels }: CdfPoints, x: number): number {
  // j: the last point at or below x (binary search; means ascend, ties allowed)
  let low = 0
  let high = means.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((means[middle] as number) <= x) low = middle + 1
    else high = middle
  }
  const j = low - 1
  if (j < 0) return 0
  const last = means.length - 1
  if (j === last) return x === means[last] ? (levels[last] as number) : 1
  const x0 = means[j] as number
  const y0 = levels[j] as number
  // means[j + 1] > x >= means[j]: the gap is never 0
  return y0 + (((levels[j + 1] as number) - y0) * (x - x0)) / ((means[j + 1] as number) - x0)
}
