// Where benchmark results go: docs/results/<name>.json (data) and <name>.md (tables), with the
// machine and date; test/bench/run.mjs assembles docs/benchmarks.md from the .md files.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'

const RESULTS = new URL('../../docs/results/', import.meta.url)

export function machine() {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
  }
}

export function writeResult(name, data, markdown) {
  mkdirSync(RESULTS, { recursive: true })
  writeFileSync(
    new URL(`${name}.json`, RESULTS),
    `${JSON.stringify({ machine: machine(), ...data }, null, 2)}\n`,
  )
  writeFileSync(new URL(`${name}.md`, RESULTS), `${markdown}\n`)
  console.log(markdown)
}
