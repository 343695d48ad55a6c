import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Baseline, type TrackerOptions } from '../../src/index.js'
import type { FileEntry } from '../../src/storage/baseline-file.js'
import { tempDir } from './tmp.js'
import { testTracker } from './tracker.js'

/** A tracker saving to `path` at once, with baselines of 10 samples. */
export function fileTracker(path: string, options: TrackerOptions = {}) {
  return testTracker({ storagePath: path, baselineSamples: 10, saveDelayMs: 0, ...options })
}

/** Gives `name` a baseline of 10 samples from `base` ms. */
export function establish(
  tracker: { record(name: string, durationMs: number): void },
  name: string,
  base = 10,
) {
  for (let i = 0; i < 10; i++) tracker.record(name, base + i)
}

/** A baseline file with `count` operations `op0`… written by perfwatch itself. */
export async function savedFile(count: number, dir = tempDir()): Promise<string> {
  const path = join(dir, 'b.json')
  const { tracker } = fileTracker(path)
  for (let i = 0; i < count; i++) establish(tracker, `op${i}`, 10 + i)
  await tracker.close()
  return path
}

/** Rewrites the file's JSON through `edit`. */
// biome-ignore lint/suspicious/noExplicitAny: tests edit the parsed JSON freely
export function editFile(path: string, edit: (file: Record<string, any>) => void): string {
  const file = JSON.parse(readFileSync(path, 'utf8'))
  edit(file)
  const text = JSON.stringify(file)
  writeFileSync(path, text)
  return text
}

/** JSON.parse's own message for `text`, which the "not JSON" error of a baseline file quotes. */
export function jsonMessage(text: string): string {
  try {
    JSON.parse(text)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('valid JSON')
}

/** When the entries of `learned` were learned. */
export const LEARNED_AT = new Date('2026-11-02T00:00:00.000Z')

/** A file entry with a baseline of 10 samples from `base` ms, learned at `learnedAt`. */
export function learned(name: string, resetAt = 0, base = 10, learnedAt = LEARNED_AT): FileEntry {
  const samples = Float64Array.from({ length: 10 }, (_, i) => base + i)
  return { name, baseline: Baseline.fromSamples(name, samples, {}, learnedAt), resetAt }
}

/** A file entry of a reset not learned again yet. */
export function tombstone(name: string, resetAt: string): FileEntry {
  return { name, baseline: undefined, resetAt: Date.parse(resetAt) }
}
