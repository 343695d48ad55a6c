import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { perfwatch, ROOT } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const PROGRAM = join(ROOT, 'test/fixtures/profile/program.mjs')

describe('perfwatch profile -- <program>', () => {
  it('runs the program with the profiler preloaded: its output and exit code, then the report', async () => {
    const cwd = tempDir()
    const { status, stdout, stderr } = await perfwatch(
      [
        'profile',
        '--detail',
        'detailed',
        '--json',
        'r.json',
        '--dir',
        'perf',
        '--',
        PROGRAM,
        '--exit=3',
        '--port',
        '80',
      ],
      cwd,
    )
    expect(status).toBe(3)
    expect(stdout).toBe('program output: --exit=3 --port 80\n')
    expect(stderr).toMatch(/^\nPERFORMANCE REPORT\n/)
    expect(stderr).toContain('Garbage Collection:')
    expect(JSON.parse(readFileSync(join(cwd, 'r.json'), 'utf8'))).toMatchObject({
      format: 'perfwatch-profile',
      detail: 'detailed',
      stages: [expect.objectContaining({ stage: 'parse', count: 5 })],
    })
    expect(readdirSync(join(cwd, 'perf', 'profiles'))).toHaveLength(1)
    const again = await perfwatch(
      ['profile', '--dir', 'perf', '--', process.execPath, PROGRAM],
      cwd,
    )
    expect(again.status).toBe(0)
    expect(again.stderr).toMatch(/\n {2}parse .*vs previous run/)
    expect(again.stderr).not.toContain('Garbage Collection:') // basic by default
  })

  it('passes on the signal that ended the program as 128 + its number', async () => {
    const cwd = tempDir()
    const script = join(cwd, 'killed.mjs')
    writeFileSync(script, "process.kill(process.pid, 'SIGTERM')\n")
    expect((await perfwatch(['profile', '--', script], cwd)).status).toBe(128 + 15)
  })

  it.each([
    [['profile'], 'perfwatch: profile: needs a program: perfwatch profile -- node app.js'],
    [
      ['profile', '--', 'ls', '-l'],
      'perfwatch: profile: ls is not a Node program (node app.js, or app.js); for any other command, set PERFWATCH_PROFILE=basic in its environment',
    ],
    [
      ['profile', '--detail', 'all', '--', PROGRAM],
      'perfwatch: profile: --detail must be basic, detailed or full, got all',
    ],
    [
      ['profile', 'app.js'],
      'perfwatch: profile: the program and its arguments go after --: perfwatch profile -- app.js',
    ],
    [
      ['profile', 'app.js', '--port', '80'],
      'perfwatch: profile: unknown option --port (the program and its arguments go after --)',
    ],
    [['profile', '--', 'missing.js'], 'perfwatch: profile: missing.js: no such file'],
    [
      ['profile', '--', '/missing/node', PROGRAM],
      'perfwatch: profile: cannot run /missing/node: spawnSync /missing/node ENOENT',
    ],
  ])('exits 2 with one line for %j', async (args, line) => {
    const { status, stdout, stderr } = await perfwatch(args, tempDir())
    expect({ status, stdout }).toEqual({ status: 2, stdout: '' })
    expect(stderr.startsWith(line)).toBe(true)
  })

  it('prints its help with --help and runs nothing', async () => {
    const cwd = tempDir()
    const { status, stdout } = await perfwatch(['profile', '--help', '--', PROGRAM], cwd)
    expect(status).toBe(0)
    expect(stdout).toMatch(/^Usage: perfwatch profile \[--detail <level>\]/)
    expect(existsSync(join(cwd, 'baselines'))).toBe(false)
  })
})
