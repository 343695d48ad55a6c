// Mutation testing (docs/testing.md): `npm run test:mutation` mutates the code where a bug would
// silently corrupt numbers or data, and runs the tests that cover each mutant against it.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // The in-process tests, sharing their imports; real-time tests skipped (see that file).
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/core/**/*.ts',
    'src/storage/**/*.ts',
    'src/options.ts',
    'src/timers.ts',
    'src/timing.ts',
    'src/threshold-log.ts',
    'src/report/**/*.ts',
    'src/stages/**/*.ts',
    'src/http/dashboard-api.ts',
    'src/http/dashboard.ts',
    'src/http/prometheus.ts',
  ],
  // Stryker's TypeScript preprocessor calls a compiler API that TypeScript 7 does not have; the
  // vitest runner does not need it, so it points at a file that does not exist.
  tsconfigFile: 'stryker.tsconfig.absent.json',
  // Stryker puts `// @ts-nocheck` atop the sandbox's source files; TypeScript files only here,
  // so the dashboard's vendored uPlot stays byte for byte what uplot ships (a test checks it).
  disableTypeChecks: '{src,test}/**/*.{ts,mts,cts}',
  concurrency: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // `--incremental` (CI) re-tests only the mutants whose code or covering tests changed since the
  // results in this file, which is committed.
  incrementalFile: 'test/mutation/stryker-incremental.json',
  thresholds: { high: 90, low: 85, break: 80 },
  tempDirName: '.stryker-tmp',
}
