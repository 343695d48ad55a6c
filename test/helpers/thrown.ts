/** What `fn` throws; undefined when it does not throw (so a matcher on it fails). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  return undefined
}
