import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from '../helpers/cli.js'
import { tempDir } from '../helpers/tmp.js'

const PROGRAM = join(ROOT, 'test/fixtures/profile/program.mjs')

/** Runs the fixture program on dist/ in a temporary folder, with `env` added to this one's. */
function run(args: string[], env: Record<string, string> = {}) {
  const cwd = tempDir()
  return new Promise<{ status: number; stdout: string; stderr: string; cwd: string }>(
    (resolve, reject) => {
      execFile(
        process.execPath,
        [PROGRAM, ...args],
        { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 30_000 },
        (error, stdout, stderr) => {
          const status = error === null ? 0 : (error as { code?: unknown }).code
          if (typeof status === 'number') resolve({ status, stdout, stderr, cwd })
          else reject(error)
        },
      )
    },
  )
}

describe('profileFromArgv', () => {
  it('profiles the run its flags ask for and prints the report at exit, output and exit code unchanged', async () => {
    const json = join(tempDir(), 'profile.json')
    const { status, stdout, stderr } = await run([
      '--from-argv',
      '--profile-detail',
      'detailed',
      `--profile-json=${json}`,
      '--exit=3',
    ])
    expect(status).toBe(3)
    expect(stdout).toContain('the same profiler again: true')
    expect(stdout).toContain(
      `program output: --from-argv --profile-detail detailed --profile-json=${json} --exit=3`,
    )
    expect(stderr).toMatch(/^\nPERFORMANCE REPORT\n/)
    expect(stderr).toMatch(/\n {2}parse +\S+ +\S+%/)
    expect(stderr).toContain('Garbage Collection:')
    const report = JSON.parse(readFileSync(json, 'utf8'))
    expect(report).toMatchObject({ format: 'perfwatch-profile', version: 1, detail: 'detailed' })
    expect(report.stages).toEqual([expect.objectContaining({ stage: 'parse', count: 5 })])
    expect(report.summary).toMatchObject({ unitsProcessed: 10 })
  })

  it('does nothing without its flags or PERFWATCH_PROFILE', async () => {
    const { status, stdout, stderr } = await run(['--from-argv', '--verbose'])
    expect(status).toBe(0)
    expect(stdout).toContain('program output: --from-argv --verbose')
    expect(stderr).toBe('')
  })
})

describe('PERFWATCH_PROFILE', () => {
  it('profiles a program that imports perfwatch, without code', async () => {
    const { status, stderr, cwd } = await run(['--exit=4'], {
      PERFWATCH_PROFILE: 'basic',
      PERFWATCH_PROFILE_DIR: 'perf',
    })
    expect(status).toBe(4)
    expect(stderr).toMatch(/^\nPERFORMANCE REPORT\n/)
    expect(stderr).not.toContain('Garbage Collection:') // basic
    expect(existsSync(join(cwd, 'perf', 'profiles'))).toBe(true)
  })

  it('with a bad value logs why and runs the program unprofiled', async () => {
    const { status, stdout, stderr } = await run(['--exit=5'], { PERFWATCH_PROFILE: 'all' })
    expect(status).toBe(5)
    expect(stderr).toBe('')
    const line = JSON.parse(stdout.split('\n')[0] as string)
    expect(line).toMatchObject({
      level: 40,
      code: 'PERFWATCH_INVALID_OPTION',
      msg: 'perfwatch: PERFWATCH_PROFILE must be basic, detailed or full, got "all"; this run is not profiled',
    })
    expect(stdout).toContain('program output: --exit=5')
  })

  it('stands when the program asks getProfiler for other options: they are logged and ignored', async () => {
    const { status, stdout, stderr } = await run(['--get-profiler', '--exit=7'], {
      PERFWATCH_PROFILE: 'basic',
    })
    expect(status).toBe(7)
    expect(JSON.parse(stdout.split('\n')[0] as string)).toMatchObject({
      level: 40,
      code: 'PERFWATCH_PROFILE_RUN',
      options: ['enabled', 'detail'],
      msg: 'perfwatch: getProfiler(options) ignored its options: this run is profiled from the command line or PERFWATCH_PROFILE',
    })
    expect(stderr).toMatch(/^\nPERFORMANCE REPORT\n/)
    expect(stderr).not.toContain('Garbage Collection:') // basic, not the program's full
  })

  it('logs a report that cannot be written, and leaves the exit code alone', async () => {
    const file = join(tempDir(), 'a-file')
    writeFileSync(file, '')
    const json = join(file, 'profile.json')
    const { status, stdout, stderr } = await run(['--exit=6'], {
      PERFWATCH_PROFILE: 'basic',
      PERFWATCH_PROFILE_JSON: json,
    })
    expect(status).toBe(6)
    expect(stderr).toContain('PERFORMANCE REPORT')
    const line = JSON.parse(stdout.trim().split('\n').at(-1) as string)
    expect(line).toMatchObject({
      level: 40,
      code: 'PERFWATCH_PROFILE_RUN',
      err: expect.objectContaining({ code: 'EEXIST' }), // mkdir of the folder, a file
      msg: `perfwatch: the profile report of this run could not be written to ${json}; the program was not affected`,
    })
  })
})
