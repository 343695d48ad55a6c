/**
 * `--profile` in the user's own program: reads perfwatch's flags from its command line (and
 * `PERFWATCH_PROFILE` from its environment) and leaves every other flag to the program.
 */
import { parseArgs } from 'node:util'
import { InvalidOptionError } from '../core/errors.js'
import { PROFILE_DETAILS, type ProfileDetail } from '../report/profile-report.js'

/** What the command line and the environment asked for. */
export interface ProfileArgs {
  /** True when any of the flags or of the environment variables is given. */
  enabled: boolean
  /** @default 'basic' */
  detail: ProfileDetail
  /**
   * `--profile-json FILE` (or `PERFWATCH_PROFILE_JSON`): where the report is also written as
   * JSON; null for none.
   */
  jsonPath: string | null
  /**
   * `--profile-dir DIR` (or `PERFWATCH_PROFILE_DIR`): the profiler's `outputDir`, where reports
   * are kept for the comparison with the previous run, and CPU profiles written; null for none.
   */
  outputDir: string | null
}

const FLAGS = {
  profile: { type: 'boolean' },
  'profile-detail': { type: 'string' },
  'profile-json': { type: 'string' },
  'profile-dir': { type: 'string' },
} as const

/**
 * Reads `--profile`, `--profile-detail basic|detailed|full`, `--profile-json FILE` and
 * `--profile-dir DIR` from `argv` (`process.argv`, or the arguments alone; flags after `--` are
 * the program's), and `PERFWATCH_PROFILE=basic|detailed|full`, `PERFWATCH_PROFILE_JSON=FILE` and
 * `PERFWATCH_PROFILE_DIR=DIR` from `env`. A flag wins over the environment; any other flag is
 * left alone.
 * @throws InvalidOptionError for a level that is not basic, detailed or full, or a flag without
 * its value.
 * @example
 * const args = profileOptionsFromArgv(process.argv) // node job.js --profile-detail detailed
 * // { enabled: true, detail: 'detailed', jsonPath: null, outputDir: null }
 */
export function profileOptionsFromArgv(
  argv: readonly string[] = process.argv,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProfileArgs {
  const { values } = parseArgs({
    args: [...argv], // the executable and the script, if there, are positionals like any other
    options: FLAGS,
    strict: false,
    allowPositionals: true,
  })
  const fromEnv = env.PERFWATCH_PROFILE
  const envDetail = fromEnv === undefined || fromEnv === '' ? undefined : fromEnv
  const detail = values['profile-detail'] ?? envDetail
  const jsonPath = values['profile-json'] ?? (env.PERFWATCH_PROFILE_JSON || null)
  const outputDir = values['profile-dir'] ?? (env.PERFWATCH_PROFILE_DIR || null)
  // With strict: false, a string flag given last without its value comes back as true.
  for (const [flag, value] of [
    ['--profile-detail', values['profile-detail']],
    ['--profile-json', values['profile-json']],
    ['--profile-dir', values['profile-dir']],
  ] as const) {
    if (typeof value === 'boolean' || value === '') {
      throw new InvalidOptionError(flag, `${flag} needs a value`)
    }
  }
  if (typeof values.profile === 'string') {
    throw new InvalidOptionError('--profile', '--profile takes no value: use --profile-detail')
  }
  if (detail !== undefined && !(PROFILE_DETAILS as readonly unknown[]).includes(detail)) {
    const option = values['profile-detail'] === undefined ? 'PERFWATCH_PROFILE' : '--profile-detail'
    throw new InvalidOptionError(option, 'basic, detailed or full', detail)
  }
  return {
    enabled:
      values.profile === true || detail !== undefined || jsonPath !== null || outputDir !== null,
    detail: (detail as ProfileDetail | undefined) ?? 'basic',
    jsonPath: jsonPath as string | null,
    outputDir: outputDir as string | null,
  }
}
