// How often does `perfwatch compare` fail two healthy runs of the same code (a false failure),
// and does it catch a real 2x slowdown? Records pairs with test/fixtures/cli/record.mjs and runs
// the built bin on each (npm run build first):
//   node test/bench/compare-gate.mjs [pairs, default 20]
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pairs = Number(process.argv[2] ?? 20)
const dir = mkdtempSync(join(tmpdir(), 'perfwatch-gate-'))
const record = (path, factor) =>
  execFileSync(process.execPath, [join(root, 'test/fixtures/cli/record.mjs'), path, String(factor)])
const compare = (a, b) => {
  const started = performance.now()
  const result = spawnSync(process.execPath, [
    join(root, 'dist/cli/main.js'),
    'compare',
    a,
    b,
    '--json',
  ])
  const { operations } = JSON.parse(result.stdout.toString())
  return { status: result.status, ms: performance.now() - started, op: operations[0] }
}
const tally = { healthy: { fail: 0 }, slow: { pass: 0 } }
const compareMs = []
try {
  for (let i = 0; i < pairs; i++) {
    const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, `${n}${i}.json`))
    record(a, 1)
    record(b, 1)
    record(c, 2)
    const healthy = compare(a, b)
    const slow = compare(a, c)
    compareMs.push(healthy.ms, slow.ms)
    if (healthy.status !== 0) tally.healthy.fail++
    if (slow.status !== 1) tally.slow.pass++
    console.log(
      `pair ${i + 1}: healthy exit ${healthy.status} (p50 ${(healthy.op.change.p50 * 100).toFixed(1)}%, ` +
        `D ${healthy.op.test.distance.toFixed(3)}, p ${healthy.op.test.pValue.toPrecision(2)}); ` +
        `2x exit ${slow.status} (p50 ${(slow.op.change.p50 * 100).toFixed(1)}%)`,
    )
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
compareMs.sort((x, y) => x - y)
console.log(
  `\n${pairs} healthy pairs: ${tally.healthy.fail} failed the gate (exit 1); ` +
    `${pairs} 2x slowdowns: ${tally.slow.pass} passed it. compare took ` +
    `${compareMs[Math.floor(compareMs.length / 2)]?.toFixed(0)} ms median (node start included).`,
)
