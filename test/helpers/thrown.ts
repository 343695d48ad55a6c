/** What `fn` throws; undefined when it does not throw (so a matcher on it fails). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}

/** What the promise `fn` returns rejects with; undefined when it fulfils. */
export async function thrownAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn()
  } catch (error) {
    return error
  }
  return undefined
}
