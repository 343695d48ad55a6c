import { afterEach } from 'vitest'

// Under Stryker only (vitest.mutation.config.ts): work a test leaves behind (a debounced save,
// a digest filled in setImmediate) runs before the test ends, so Stryker's per-test coverage
// counts it for that test instead of marking its mutants static (run against every test).
afterEach(async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 1))
})
