import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'

const script = new URL('../fixtures/profile/leak.mjs', import.meta.url).pathname

/** Runs the leak fixture on dist/ (with --expose-gc) and returns its leak verdict. */
function verdictOf(mode: 'leak' | 'steady') {
  const output = execFileSync(process.execPath, ['--expose-gc', script, mode], {
    encoding: 'utf8',
    timeout: 20_000,
  })
  return JSON.parse(output) as {
    leak: {
      isLeak: boolean
      rule: string | null
      growthMbPerMinute: number
      stage: string | null
      readings: number
    }
    retained: number
  }
}

describe('leak detection on real garbage collections', () => {
  it('flags a stage that keeps about 1 MB per iteration, naming the stage and the growth', () => {
    const { leak, retained } = verdictOf('leak')
    expect(retained).toBe(30)
    expect(leak.readings).toBeGreaterThanOrEqual(20)
    expect(leak.isLeak).toBe(true)
    expect(leak.rule).toBe('consecutive-growth')
    expect(leak.stage).toBe('ingest')
    expect(leak.growthMbPerMinute).toBeGreaterThan(0)
  }, 30_000)

  it('never flags the same work when it keeps nothing', () => {
    for (let run = 0; run < 3; run++) {
      const { leak, retained } = verdictOf('steady')
      expect(retained).toBe(0)
      expect(leak.readings).toBeGreaterThanOrEqual(20)
      expect(leak.isLeak).toBe(false)
    }
  }, 30_000)
})
