import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

// What the kernel is asked to do when a save completes, traced with strace against the built
// package: the new file is fsynced before the rename, and the folder after it, so a power loss
// keeps the renamed file (as SQLite and etcd do).
const hasStrace = spawnSync('strace', ['-V']).status === 0
const dist = new URL('../../dist/index.js', import.meta.url).pathname

it.skipIf(!hasStrace || process.platform !== 'linux')(
  'fsyncs the file, renames it, then fsyncs its folder',
  () => {
    const dir = tempDir()
    const script = join(dir, 'save.mjs')
    writeFileSync(
      script,
      [
        `import { PerformanceTracker } from ${JSON.stringify(dist)}`,
        `const t = new PerformanceTracker({ storagePath: ${JSON.stringify(join(dir, 'data', 'b.json'))}, baselineSamples: 2, logger: { info() {}, warn() {}, error() {} } })`,
        "t.record('op', 1); t.record('op', 2)",
        'await t.close()',
      ].join('\n'),
    )
    const log = join(dir, 'strace.log')
    execFileSync('strace', [
      '-f',
      '-e',
      'trace=openat,fsync,rename',
      '-o',
      log,
      process.execPath,
      script,
    ])
    const calls = readFileSync(log, 'utf8')
      .split('\n')
      .map((line) => line.replace(/^\d+\s+/, '').replace(/\s+/g, ' '))
      .filter((line) => line.includes(`${dir}/data`) || line.startsWith('fsync('))
    const rename = calls.findIndex((line) =>
      /^rename\(".*\.tmp", ".*\/data\/b\.json"\) = 0/.test(line),
    )
    expect(rename).toBeGreaterThan(0)
    const fdOf = (line: string | undefined) => line?.match(/= (\d+)$/)?.[1]
    // The temporary file opened last before the rename is the one renamed.
    const temp = calls
      .slice(0, rename)
      .map((line) => /^openat\(.*\.tmp", O_WRONLY/.test(line))
      .lastIndexOf(true)
    expect(calls.slice(temp, rename)).toContain(`fsync(${fdOf(calls[temp])}) = 0`)
    const folder = calls.findIndex(
      (line, i) => i > rename && line.includes(`"${dir}/data", O_RDONLY`),
    )
    expect(folder).toBeGreaterThan(rename)
    expect(calls.slice(folder)).toContain(`fsync(${fdOf(calls[folder])}) = 0`)
  },
)
