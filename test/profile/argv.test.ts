import { describe, expect, it } from 'vitest'
import { InvalidOptionError, profileOptionsFromArgv } from '../../src/index.js'
import { thrownBy } from '../helpers/thrown.js'

/** `process.argv` of `node job.js ...args`. */
const argv = (...args: string[]) => ['/usr/bin/node', '/srv/job.js', ...args]

describe('profileOptionsFromArgv', () => {
  it('is off without flags or PERFWATCH_PROFILE', () => {
    expect(profileOptionsFromArgv(argv('input.csv', '--limit', '10'), {})).toEqual({
      enabled: false,
      detail: 'basic',
      jsonPath: null,
      outputDir: null,
    })
  })

  it('reads --profile, --profile-detail and --profile-json among the program’s own flags', () => {
    expect(profileOptionsFromArgv(argv('--verbose', '--profile', 'input.csv'), {})).toEqual({
      enabled: true,
      detail: 'basic',
      jsonPath: null,
      outputDir: null,
    })
    expect(
      profileOptionsFromArgv(
        argv('-n', '5', '--profile-detail', 'full', '--out=x', '--profile-json=report.json'),
        {},
      ),
    ).toEqual({ enabled: true, detail: 'full', jsonPath: 'report.json', outputDir: null })
  })

  it('turns profiling on with a level or a JSON path alone', () => {
    expect(profileOptionsFromArgv(argv('--profile-detail=detailed'), {})).toMatchObject({
      enabled: true,
      detail: 'detailed',
    })
    expect(profileOptionsFromArgv(argv('--profile-json', 'r.json'), {})).toEqual({
      enabled: true,
      detail: 'basic',
      jsonPath: 'r.json',
      outputDir: null,
    })
  })

  it('reads --profile-dir, and the JSON path and folder from the environment', () => {
    expect(profileOptionsFromArgv(argv('--profile-dir', 'perf'), {})).toEqual({
      enabled: true,
      detail: 'basic',
      jsonPath: null,
      outputDir: 'perf',
    })
    expect(
      profileOptionsFromArgv(argv(), {
        PERFWATCH_PROFILE_JSON: 'r.json',
        PERFWATCH_PROFILE_DIR: 'perf',
      }),
    ).toEqual({ enabled: true, detail: 'basic', jsonPath: 'r.json', outputDir: 'perf' })
    expect(
      profileOptionsFromArgv(argv(), { PERFWATCH_PROFILE_JSON: '', PERFWATCH_PROFILE_DIR: '' })
        .enabled,
    ).toBe(false)
  })

  it('takes the arguments alone as well', () => {
    expect(profileOptionsFromArgv(['--profile-detail', 'full'], {}).detail).toBe('full')
  })

  it('leaves the flags after -- to the program', () => {
    expect(profileOptionsFromArgv(argv('--', '--profile'), {}).enabled).toBe(false)
  })

  it('reads PERFWATCH_PROFILE, and a flag wins over it', () => {
    expect(profileOptionsFromArgv(argv(), { PERFWATCH_PROFILE: 'detailed' })).toEqual({
      enabled: true,
      detail: 'detailed',
      jsonPath: null,
      outputDir: null,
    })
    expect(
      profileOptionsFromArgv(argv('--profile-detail', 'full'), { PERFWATCH_PROFILE: 'basic' })
        .detail,
    ).toBe('full')
    expect(profileOptionsFromArgv(argv(), { PERFWATCH_PROFILE: '' }).enabled).toBe(false)
  })

  it.each([
    [
      argv('--profile-detail', 'verbose'),
      {},
      '--profile-detail must be basic, detailed or full, got "verbose"',
    ],
    [
      argv(),
      { PERFWATCH_PROFILE: '1' },
      'PERFWATCH_PROFILE must be basic, detailed or full, got "1"',
    ],
    [argv('--profile-detail'), {}, '--profile-detail needs a value'],
    [argv('--profile-json='), {}, '--profile-json needs a value'],
    [argv('--profile-dir'), {}, '--profile-dir needs a value'],
    [argv('--profile=yes'), {}, '--profile takes no value: use --profile-detail'],
  ])('refuses %j %j with a coded error', (args, env, message) => {
    const error = thrownBy(() => profileOptionsFromArgv(args, env))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ code: 'PERFWATCH_INVALID_OPTION', message })
  })

  it('reads process.argv and process.env by default', () => {
    const saved = process.env.PERFWATCH_PROFILE
    process.env.PERFWATCH_PROFILE = 'full'
    try {
      expect(profileOptionsFromArgv().detail).toBe('full')
    } finally {
      if (saved === undefined) delete process.env.PERFWATCH_PROFILE
      else process.env.PERFWATCH_PROFILE = saved
    }
  })
})
