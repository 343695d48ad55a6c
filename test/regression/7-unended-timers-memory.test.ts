import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { InvalidOptionError, PerformanceTracker } from '../../src/index.js'

// Issue 7, item 5: every startOperation without an endOperation left ~19 bytes in the eviction
// queue for good (183 MB per 10^7 calls). Measured in a fresh process, on the built package.
const script = `
import { PerformanceTracker } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)}
const used = () => { gc(); gc(); const m = process.memoryUsage(); return m.heapUsed + m.external }
const logger = { info() {}, warn() {}, error() {} }
const tracker = new PerformanceTracker({ storagePath: null, logger, maxOpenTimers: 1000 })
for (let i = 0; i < 10_000; i++) tracker.startOperation('op') // the table at full size
const before = used()
for (let i = 0; i < 1_000_000; i++) tracker.startOperation('op')
// Read the tracker after measuring, so it is not collected before.
console.log(JSON.stringify({ bytes: used() - before, recorded: tracker.getSystemSummary().totalSamples }))
`

describe('unended timers', () => {
  it('keep memory bounded: 10^6 starts never ended grow the heap by less than 1 MB', () => {
    const output = execFileSync(
      process.execPath,
      ['--expose-gc', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    )
    expect(JSON.parse(output)).toMatchObject({ bytes: expect.any(Number), recorded: 0 })
    expect(JSON.parse(output).bytes).toBeLessThan(1_000_000)
  })

  it('maxOpenTimers is at most 2^20, validated rather than silently clamped', () => {
    expect(() => new PerformanceTracker({ storagePath: null, maxOpenTimers: 2 ** 20 + 1 })).toThrow(
      InvalidOptionError,
    )
    expect(
      () => new PerformanceTracker({ storagePath: null, maxOpenTimers: 2 ** 20 }),
    ).not.toThrow()
  })
})
