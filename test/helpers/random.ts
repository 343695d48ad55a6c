import { logNormal as drawLogNormal, seededRandom } from '../../src/demo/random.js'

/** mulberry32: a seeded PRNG, so sample streams are the same on every run (the demos' own). */
export { seededRandom }

/** Log-normal draws with median `medianMs` and log-sd `sigma` (Box-Muller). */
export function logNormal(seed: number, medianMs = 10, sigma = 0.5): () => number {
  const random = seededRandom(seed)
  return () => drawLogNormal(random, medianMs, sigma)
}
