// Found by the mutation run of issue 12, whose shared module state had an AsyncLocalStorage in
// use (StageTracker's currentStage): a frozen promise returned by a wrapped function came back as
// a derived promise that was not frozen. Under AsyncLocalStorage (OpenTelemetry, request
// contexts: most services) Node gives every new promise own properties of its own, which the
// copy rightly leaves alone, and `preventExtensions` alone then does not make the promise frozen.
import { AsyncLocalStorage } from 'node:async_hooks'
import { describe, expect, it } from 'vitest'
import { PerformanceTracker } from '../../src/index.js'

describe('a frozen or sealed promise returned under AsyncLocalStorage', () => {
  const tracker = new PerformanceTracker({ storagePath: null, watchProcess: false })
  const storage = new AsyncLocalStorage<string>()

  type Lock = <T>(value: T) => T
  it.each([
    ['frozen', Object.freeze as Lock, Object.isFrozen],
    ['sealed', Object.seal as Lock, Object.isSealed],
  ])('comes back %s, as without it', async (_, lock, isLocked) => {
    await storage.run('request-1', async () => {
      const original = lock(Object.assign(Promise.resolve(1), { child: 'child' }))
      const result = tracker.wrap('op', () => original)()
      expect(result).not.toBe(original)
      expect(isLocked(result)).toBe(true)
      expect(Object.getOwnPropertyDescriptor(result, 'child')).toEqual(
        Object.getOwnPropertyDescriptor(original, 'child'),
      )
      expect(await result).toBe(1)
      expect(storage.getStore()).toBe('request-1')
    })
  })
})
