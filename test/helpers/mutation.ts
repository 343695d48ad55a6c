import { it } from 'vitest'

/**
 * A test that waits on real time (the process monitor's 500-ms checks, a blocked event loop):
 * skipped under mutation testing (vitest.mutation.config.ts sets PERFWATCH_MUTATION), where it
 * would add a second or more to every mutant it covers. What it checks of the core is also
 * checked with an injected clock; docs/testing.md lists these tests.
 */
export const itRealTime = it.skipIf(process.env.PERFWATCH_MUTATION === '1')
