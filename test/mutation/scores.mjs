// After `stryker run`: the mutation score of every mutated file and overall, from Stryker's JSON
// report, computed by mutation-testing-metrics (the library Stryker's own reports use). Fails
// when a file is below PER_FILE: Stryker's `break` threshold (stryker.config.mjs) only sees the
// overall score, and a well-tested file must not hide an untested one.
import { readFileSync } from 'node:fs'
import { calculateMetrics } from 'mutation-testing-metrics'

const PER_FILE = 80
const report = JSON.parse(
  readFileSync(new URL('../../reports/mutation/mutation.json', import.meta.url), 'utf8'),
)
const root = calculateMetrics(report.files)
const rows = []
const walk = (result, path) => {
  if (result.file !== undefined) rows.push([path, result.metrics])
  for (const child of result.childResults) walk(child, path ? `${path}/${child.name}` : child.name)
}
walk(root, '')
rows.sort(([a], [b]) => (a < b ? -1 : 1))

const percent = (score) => (Number.isNaN(score) ? 'n/a' : `${score.toFixed(1)} %`)
console.log('| file | score | killed | timeout | survived | no coverage | ignored |')
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const [name, m] of [...rows, ['all files', root.metrics]]) {
  console.log(
    `| ${name} | ${percent(m.mutationScore)} | ${m.killed} | ${m.timeout} | ${m.survived} | ` +
      `${m.noCoverage} | ${m.ignored} |`,
  )
}
const below = rows.filter(([, m]) => m.mutationScore < PER_FILE)
if (below.length > 0) {
  console.error(`\nBelow ${PER_FILE} %: ${below.map(([name]) => name).join(', ')}`)
  process.exitCode = 1
}
