/**
 * `PERFWATCH_PROFILE=basic|detailed|full` profiles a program that imports perfwatch, without
 * code: imported by the main entry for this effect, and preloaded by `perfwatch profile`. A bad
 * value is logged and the program runs unprofiled: an environment variable must not stop it.
 */
import { createDefaultLogger, SafeLogger } from '../log.js'
import { profileFromArgv } from './at-exit.js'

const { PERFWATCH_PROFILE, PERFWATCH_PROFILE_JSON, PERFWATCH_PROFILE_DIR } = process.env
if (PERFWATCH_PROFILE || PERFWATCH_PROFILE_JSON || PERFWATCH_PROFILE_DIR) {
  try {
    profileFromArgv([], process.env)
  } catch (error) {
    new SafeLogger(createDefaultLogger()).warn(
      { code: (error as { code?: string }).code, err: error },
      `perfwatch: ${(error as Error).message}; this run is not profiled`,
    )
  }
}
