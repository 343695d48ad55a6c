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
