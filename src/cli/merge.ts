/** `perfwatch merge`: one baseline file from the files of several instances of a service. */

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { Baseline } from '../index.js'
import { replaceFileSync } from '../storage/atomic-file.js'
import { type FileEntry, serializeBaselineFile } from '../storage/baseline-file.js'
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js'
import { readBaselineSet } from './input.js'

const HELP = `Usage: perfwatch merge <a.json> [<b.json> ...] -o <out.json> [--force]

Merges the baselines of several instances of one service into one baseline file: each
operation's baselines are merged digest by digest (Baseline.merge: quantiles from the merged
digest, mean and standard deviation pooled, counts added). An operation reset after some of its
baselines were learned keeps only the baselines learned after the latest reset (the others are
reported); one reset and not learned again anywhere stays a reset.

-o may name one of the inputs: every input is read before the output is replaced, atomically.
An existing file that is not an input is refused unless --force is given, so no operation is
dropped without being asked.

Options:
  -o, --output <path>  the merged file (required)
  --force              replace an existing output that is not one of the inputs
  -h, --help           this help

Exit codes: 0 written, 2 bad input (unknown option, unreadable input, output not writable).`

export const merge: Command = {
  name: 'merge',
  summary: 'merge the baseline files of several instances into one (a fleet baseline)',
  help: HELP,
  run(args, output) {
    const parsed = parseCommandArgs(
      merge,
      args,
      { output: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
      output,
    )
    if (parsed === undefined) return EXIT.ok
    const inputs = parsed.positionals
    const out = parsed.values.output
    if (typeof out !== 'string') throw new UsageError('merge: needs -o <out.json>')
    if (inputs.length === 0) throw new UsageError('merge: needs at least one baseline file')
    const isInput = inputs.some((input) => resolve(input) === resolve(out))
    if (!isInput && parsed.values.force !== true && existsSync(out)) {
      throw new UsageError(
        `merge: ${out} exists and is not one of the inputs; add it as an input, or --force to replace it`,
      )
    }
    const byName = new Map<string, FileEntry[]>()
    for (const input of inputs) {
      for (const entry of readBaselineSet(input, output).entries) {
        const list = byName.get(entry.name) ?? []
        list.push(entry)
        byName.set(entry.name, list)
      }
    }
    const merged: FileEntry[] = []
    let mergedCount = 0
    for (const [name, entries] of byName) {
      const resetAt = Math.max(...entries.map((entry) => entry.resetAt))
      const baselines: Baseline[] = []
      for (const entry of entries) {
        if (entry.baseline === undefined) continue
        if (entry.resetAt === resetAt) baselines.push(entry.baseline)
        else {
          output.stderr(
            `perfwatch: merge: left out a baseline of ${JSON.stringify(name)} learned before its reset at ${new Date(resetAt).toISOString()}`,
          )
        }
      }
      if (baselines.length > 1) mergedCount++
      merged.push({
        name,
        // One baseline is kept as it is: a merge would take its exact quantiles from the digest.
        baseline: baselines.length < 2 ? baselines[0] : Baseline.merge(baselines),
        resetAt,
      })
    }
    try {
      replaceFileSync(out, serializeBaselineFile(merged, new Date()))
    } catch (error) {
      throw new UsageError(`merge: ${out} cannot be written: ${(error as Error).message}`)
    }
    const operations = merged.filter((entry) => entry.baseline !== undefined).length
    const resets = merged.length - operations
    output.stdout(
      `${out}: ${plural(operations, 'operation')} from ${plural(inputs.length, 'file')} ` +
        `(${mergedCount} merged from several, ${operations - mergedCount} from one)` +
        (resets > 0 ? `, ${plural(resets, 'reset')}` : ''),
    )
    return EXIT.ok
  },
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
