import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PerformanceTracker } from '../../src/index.js'
import { logSink } from '../helpers/log-sink.js'
import { seededRandom } from '../helpers/random.js'
import { tempDir } from '../helpers/tmp.js'

// A writer of the built package (npm test builds first) saving after every new baseline is
// killed with SIGKILL at a random moment, 60 times: the file must always be readable and hold
// every baseline it held before the kill, and the next start must leave no temporary or lock
// file behind.
const writer = new URL('../fixtures/storage/writer.mjs', import.meta.url).pathname
const TRIALS = 60
const PARALLEL = 4

function baselinesIn(path: string): string[] {
  if (!existsSync(path)) return []
  return Object.keys(JSON.parse(readFileSync(path, 'utf8')).baselines)
}

async function trial(delayMs: number) {
  const dir = tempDir()
  const path = join(dir, 'b.json')
  const child = spawn(process.execPath, [writer, path, 'w', '1', 'forever'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const exited = new Promise((resolve) => child.on('exit', resolve))
  // Killed at a random moment after its first save, while it keeps saving.
  await new Promise((resolve) => child.stdout.once('data', resolve))
  await new Promise((resolve) => setTimeout(resolve, delayMs))
  const before = baselinesIn(path)
  child.kill('SIGKILL')
  await exited
  const litter = readdirSync(dir).filter((name) => name !== 'b.json')
  const after = new Set(baselinesIn(path)) // throws if the file is not valid JSON
  const lost = before.filter((name) => !after.has(name))
  const sink = logSink()
  const tracker = new PerformanceTracker({
    storagePath: path,
    logger: sink.logger,
    maxOperations: 100_000,
  })
  const restored = tracker.getSystemSummary().trackedOperations.length
  await tracker.close()
  return {
    lost: lost.length,
    before: before.length,
    restored,
    after: after.size,
    litter: litter.length,
    left: readdirSync(dir).filter((name) => name !== 'b.json'),
    errors: sink.lines.filter((line) => line.level >= 50),
  }
}

describe('SIGKILL of a writer at random moments', () => {
  it(`keeps every saved baseline over ${TRIALS} kills`, { timeout: 120_000 }, async () => {
    const random = seededRandom(7)
    const results: Array<Awaited<ReturnType<typeof trial>>> = []
    for (let i = 0; i < TRIALS; i += PARALLEL) {
      const batch = Array.from({ length: PARALLEL }, () => trial(random() * 200))
      results.push(...(await Promise.all(batch)))
    }
    for (const result of results) {
      expect(result.lost).toBe(0)
      expect(result.restored).toBe(result.after)
      expect(result.left).toEqual([])
      expect(result.errors).toEqual([])
    }
    // Some kills must land while a save was under way.
    const midWrite = results.filter((r) => r.litter > 0).length
    expect(midWrite).toBeGreaterThan(0)
    const onDisk = results.reduce((n, r) => n + r.before, 0)
    console.log(
      `${TRIALS} SIGKILLs: ${midWrite} left a temporary or lock file (removed at the next ` +
        `start); ${onDisk} baselines on disk before the kills, 0 lost`,
    )
  })
})
