/** `perfwatch profile`: runs a Node program with the profiler preloaded and its report at exit. */

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { basename, resolve } from 'node:path'
import { PROFILE_DETAILS } from '../index.js'
import { type Command, EXIT, parseCommandArgs, UsageError } from './command.js'

const HELP = `Usage: perfwatch profile [--detail <level>] [--json <file>] [--dir <folder>] -- <program> [args...]

Runs a Node program (node app.js ..., or app.js ...) with perfwatch's profiler preloaded
(node --import): its StageTracker stages and the default tracker's operations are profiled
without code, and the report is printed to stderr when the program exits. The program's output
and exit code pass through unchanged. The same as PERFWATCH_PROFILE=<level> in its environment.

Options:
  --detail <level>  basic (default): durations, shares, rate, peak memory, services;
                    detailed: + memory per stage, GC, event-loop delay, HTTP per host, leaks;
                    full: + a CPU profile and the top functions by self time
  --json <file>     also write the report as JSON (format "perfwatch-profile", version 1)
  --dir <folder>    keep the reports there (the last 20), so each run is compared with the
                    previous one; a full profile's .cpuprofile is written there too
  -h, --help        this help

Exit codes: the program's (128 + the signal's number when a signal ended it), or 2 when perfwatch
cannot start it (bad options, no program, not a Node program).`

/** A Node executable: `node`, `node20`, `nodejs`, or this one's path. */
const NODE_EXECUTABLE = /^node(js)?[\d.]*(\.exe)?$/

/** A file Node runs as a program. */
const NODE_SCRIPT = /\.[cm]?[jt]s$/

const OPTIONS = {
  detail: { type: 'string' },
  json: { type: 'string' },
  dir: { type: 'string' },
} as const

export const profile: Command = {
  name: 'profile',
  summary: 'run a Node program with the profiler preloaded; print its report when it exits',
  help: HELP,
  run(args, output) {
    const end = args.indexOf('--')
    // Everything after the program is the program's: without `--`, its flags would be ours.
    const ours = end < 0 ? args : args.slice(0, end)
    let parsed: ReturnType<typeof parseCommandArgs>
    try {
      parsed = parseCommandArgs(profile, ours, OPTIONS, output)
    } catch (error) {
      if (end >= 0 || !(error instanceof UsageError)) throw error
      throw new UsageError(`${error.message} (the program and its arguments go after --)`)
    }
    if (parsed === undefined) return EXIT.ok
    const detail = parsed.values.detail ?? 'basic'
    if (!(PROFILE_DETAILS as readonly unknown[]).includes(detail)) {
      throw new UsageError(`profile: --detail must be basic, detailed or full, got ${detail}`)
    }
    if (end < 0 && parsed.positionals.length > 0) {
      throw new UsageError(
        `profile: the program and its arguments go after --: perfwatch profile -- ${parsed.positionals.join(' ')}`,
      )
    }
    const [program, ...rest] = end < 0 ? [] : args.slice(end + 1)
    if (program === undefined) {
      throw new UsageError('profile: needs a program: perfwatch profile -- node app.js')
    }
    const preload = ['--import', new URL('../profile/preload.js', import.meta.url).href]
    let command: string
    let commandArgs: string[]
    if (program === process.execPath || NODE_EXECUTABLE.test(basename(program))) {
      command = program
      commandArgs = [...preload, ...rest]
    } else if (NODE_SCRIPT.test(program)) {
      if (!existsSync(program)) throw new UsageError(`profile: ${program}: no such file`)
      command = process.execPath
      commandArgs = [...preload, program, ...rest]
    } else {
      throw new UsageError(
        `profile: ${program} is not a Node program (node app.js, or app.js); for any other ` +
          'command, set PERFWATCH_PROFILE=basic in its environment',
      )
    }
    const { json, dir } = parsed.values
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PERFWATCH_PROFILE: detail as string,
      PERFWATCH_PROFILE_JSON: typeof json === 'string' ? resolve(json) : '',
      PERFWATCH_PROFILE_DIR: typeof dir === 'string' ? resolve(dir) : '',
    }
    const result = spawnSync(command, commandArgs, { stdio: 'inherit', env })
    if (result.error !== undefined) {
      throw new UsageError(`profile: cannot run ${program}: ${result.error.message}`)
    }
    if (result.signal !== null) return 128 + (constants.signals[result.signal] ?? 0)
    return result.status ?? EXIT.badInput
  },
}
