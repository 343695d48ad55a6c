import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { perfwatch, ROOT } from '../helpers/cli.js'

describe('perfwatch (the bin)', () => {
  it('lists the commands that exist with --help, and exits 0', async () => {
    const { status, stdout, stderr } = await perfwatch(['--help'])
    expect(status).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^Usage: perfwatch <command> \[options\]\n/)
    const commands = stdout
      .split('\n')
      .filter((line) => /^ {2}[a-z]+ {2}/.test(line))
      .map((line) => line.trim().split(' ')[0])
    expect(commands).toEqual(['report', 'compare', 'merge', 'profile'])
    expect(stdout).toContain(
      'Exit codes: 0 fine, 1 compare found a regression, 2 bad input; profile: the program’s.',
    )
    expect((await perfwatch(['-h'])).stdout).toBe(stdout)
    expect((await perfwatch(['help'])).stdout).toBe(stdout)
  })

  it('prints the package version with --version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    for (const flag of ['--version', '-v']) {
      const { status, stdout } = await perfwatch([flag])
      expect(status).toBe(0)
      expect(stdout).toBe(`${version}\n`)
    }
  })

  it('prints the help on stderr and exits 2 without a command', async () => {
    const { status, stdout, stderr } = await perfwatch([])
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^Usage: perfwatch/)
  })

  it('gives one line and exit 2 for an unknown command or option', async () => {
    expect(await perfwatch(['frobnicate'])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'perfwatch: unknown command "frobnicate" (perfwatch --help lists the commands)\n',
    })
    expect(await perfwatch(['--frobnicate'])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'perfwatch: unknown option --frobnicate (perfwatch --help lists the commands)\n',
    })
  })

  it.each(['report', 'compare', 'merge'])('has --help for %s', async (command) => {
    const { status, stdout, stderr } = await perfwatch([command, '--help'])
    expect(status).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toMatch(new RegExp(`^Usage: perfwatch ${command} `))
    expect(stdout).toContain('Exit codes:')
  })

  it.each([
    [['report', 'x.json', '--frobnicate'], 'perfwatch: report: unknown option --frobnicate\n'],
    [
      ['compare', 'a', 'b', '--max-slowdown'],
      'perfwatch: compare: option --max-slowdown needs a value\n',
    ],
    [['compare', 'a', 'b', '--json=yes'], 'perfwatch: compare: option --json takes no value\n'],
    [['merge', 'a.json', '-o'], 'perfwatch: merge: option -o needs a value\n'],
  ])('gives one line and exit 2 for bad options: %j', async (args, line) => {
    expect(await perfwatch(args)).toEqual({ status: 2, stdout: '', stderr: line })
  })
})
