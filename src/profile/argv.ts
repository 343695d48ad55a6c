/**
 * `--profile` in the user's own program: reads perfwatch's flags from its command line (and
 * `PERFWATCH_PROFILE` from its environment) and leaves every other flag to the program.
 */
import { parseArgs } from 'node:util'
import { InvalidOptionError } from '../core/errors.js'
import { PROFILE_DETAILS, type ProfileDetail } from '../report/profile-report.js'

/** What the command line and the environment asked for. */
export interface ProfileArgs {
  /** True when `--profile`, `--profile-detail`, `--profile-json` or `PERFWATCH_PROFILE` is given. */
  enabled: boolean
  /** @default 'basic' */
  detail: ProfileDetail
  /** `--profile-json FILE`: where the report is also written as JSON; null for none. */
  jsonPath: string | null
}

const FLAGS = {
  profile: { type: 'boolean' },
  'profile-detail': { type: 'string' },
  'profile-json': { type: 'string' },
} as const

/**
 * Reads `--profile`, `--profile-detail basic|detailed|full` and `--profile-json FILE` from
 * `argv` (`process.argv`, or the arguments alone; flags after `--` are the program's), and `PERFWATCH_PROFILE=basic|detailed|full` from `env`. A flag wins
 * over the environment; any other flag is left alone.
 * @throws InvalidOptionError for a level that is not basic, detailed or full, or a flag without
 * its value.
 * @example
 * const args = profileOptionsFromArgv(process.argv) // node job.js --profile-detail detailed
 * // { enabled: true, detail: 'detailed', jsonPath: null }
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
  const jsonPath = values['profile-json'] ?? null
  // With strict: false, a string flag given last without its value comes back as true.
  for (const [flag, value] of [
    ['--profile-detail', values['profile-detail']],
    ['--profile-json', values['profile-json']],
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
    enabled: values.profile === true || detail !== undefined || jsonPath !== null,
    detail: (detail as ProfileDetail | undefined) ?? 'basic',
    jsonPath: jsonPath as string | null,
  }
}
