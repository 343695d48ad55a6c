import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url))

/**
 * Compiles the decorated fixtures with the real tsc, once per mode: vitest's transform cannot
 * lower TC39 standard decorators, and users compile with tsc anyway. The fixtures import
 * 'perfwatch' and so type-check against the built declarations in dist/.
 */
export default function setup(): void {
  if (!existsSync(new URL('../dist/index.d.ts', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before vitest')
  }
  for (const mode of ['legacy', 'standard']) {
    execFileSync(process.execPath, [tsc, '-p', `test/fixtures/decorators/tsconfig.${mode}.json`], {
      cwd: root,
      stdio: 'inherit',
    })
  }
}
