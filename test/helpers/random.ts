/** mulberry32: a seeded PRNG, so sample streams are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Log-normal draws with median `medianMs` and log-sd `sigma` (Box-Muller). */
export function logNormal(seed: number, medianMs = 10, sigma = 0.5): () => number {
  const random = seededRandom(seed)
  return () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
    return medianMs * Math.exp(sigma * z)
  }
}
