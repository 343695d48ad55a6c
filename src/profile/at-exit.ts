/**
 * Profiling a whole run of a program: from its command line (`profileFromArgv`), from its
 * environment without code (`PERFWATCH_PROFILE`, see from-environment.ts) or under
 * `perfwatch profile`. The process-wide profiler runs from then on, and the report is printed to
 * stderr when the process exits (and written as JSON when asked).
 */
import { WARNING_CODES } from '../core/errors.js'
import { RUN_PROFILER_KEY } from '../core/profile-hooks.js'
import { createExitLogger, SafeLogger } from '../log.js'
import { renderReport } from '../report/render.js'
import { replaceFileSync } from '../storage/atomic-file.js'
import { type ProfileArgs, profileOptionsFromArgv } from './argv.js'
import { getProfiler, type Profiler, shouldUseColor } from './profiler.js'

/**
 * Profiles this run when its command line or environment asks for it (`profileOptionsFromArgv`:
 * `--profile`, `--profile-detail LEVEL`, `--profile-json FILE`, `--profile-dir DIR`,
 * `PERFWATCH_PROFILE`...): the process-wide profiler (`getProfiler()`) is enabled at that level,
 * with `DIR` as its `outputDir`, and started; at exit its report is printed to stderr (coloured
 * on a terminal without `NO_COLOR`) and written to the JSON file. Returns that profiler, or
 * undefined when profiling was not asked for.
 *
 * Once per process: a second call (or `PERFWATCH_PROFILE`, which is read when perfwatch is
 * imported) returns the profiler already set up.
 * @throws InvalidOptionError for a bad level or a flag without its value;
 * InvalidArgumentError when the process-wide profiler already exists (created by `getProfiler`
 * before this call): call this first.
 * @example
 * // node job.js --profile-detail detailed --profile-json profile.json
 * profileFromArgv()
 * await runPipeline() // StageTracker stages are profiled; the report is printed at exit
 */
export function profileFromArgv(
  argv: readonly string[] = process.argv,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Profiler | undefined {
  const args = profileOptionsFromArgv(argv, env)
  if (!args.enabled) return undefined
  return profileThisRun(args)
}

function profileThisRun({ detail, jsonPath, outputDir }: ProfileArgs): Profiler {
  const global = globalThis as { [RUN_PROFILER_KEY]?: Profiler }
  const installed = global[RUN_PROFILER_KEY]
  if (installed !== undefined) return installed
  const profiler = getProfiler({
    enabled: true,
    detail,
    ...(outputDir === null ? {} : { outputDir }),
  })
  profiler.start()
  process.once('exit', () => reportAtExit(profiler, jsonPath))
  global[RUN_PROFILER_KEY] = profiler
  return profiler
}

/** At exit, so synchronous: the text on stderr, then the JSON file. Failures are logged only. */
function reportAtExit(profiler: Profiler, jsonPath: string | null): void {
  try {
    profiler.stop()
    const report = profiler.report()
    process.stderr.write(`\n${renderReport(report, { color: shouldUseColor(process.stderr) })}`)
    if (jsonPath !== null) replaceFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`)
  } catch (error) {
    new SafeLogger(createExitLogger()).warn(
      { code: WARNING_CODES.profileRun, err: error },
      `perfwatch: the profile report of this run could not be written${jsonPath === null ? '' : ` to ${jsonPath}`}; the program was not affected`,
    )
  }
}
