import { defineConfig, mergeConfig } from 'vitest/config'
import base from './vitest.config.js'

// The tests Stryker runs against each mutant (stryker.config.mjs): every test that runs the
// source in the test's own process. Left out: tests whose code under test runs in a child
// process on the built dist/ (the demo, the bin, e2e, kill -9, several writers, fsync tracing, heap
// growth), which never see a mutant; the process monitor's real-time tests (it is not mutated;
// see docs/testing.md); the dashboard's browser tests (a Chromium per test, seconds each; the page's
// JavaScript is not mutated); and the type tests, which tsc checks (at run time they assert nothing,
// and their describe-level tracker made every mutant it reaches static).
export const NOT_MUTATION_TESTED = [
  'test/demo/**',
  'test/cli/**',
  'test/e2e/**',
  'test/types/**',
  'test/fault/sigkill.test.ts',
  'test/fault/shared-file.test.ts',
  'test/storage/durability.test.ts',
  'test/regression/7-unended-timers-memory.test.ts',
  'test/process-monitor.test.ts',
  'test/profile/leak.test.ts',
  'test/profile/at-exit.test.ts',
  'test/http/dashboard.browser.test.ts',
  'test/http/prometheus-server.test.ts',
]

export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [...NOT_MUTATION_TESTED, 'node_modules/**'],
      setupFiles: ['test/mutation-setup.ts'],
      // Test files share their imports: a mutant run loads the source once, not once per file
      // (Stryker switches mutants at run time, so a cached module still sees the active one).
      isolate: false,
      env: { PERFWATCH_MUTATION: '1' },
    },
  }),
)
