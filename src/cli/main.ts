#!/usr/bin/env node
/**
 * The `perfwatch` bin: the command table, `--help`, `--version`, and the one place that turns
 * errors into exit codes and calls `process.exit` (docs/cli.md).
 */
import { readFileSync } from 'node:fs'
import { type Command, EXIT, type Output, UsageError } from './command.js'
import { compare } from './compare.js'
import { merge } from './merge.js'
import { profile } from './profile.js'
import { report } from './report.js'

/** Every command, in the order `perfwatch --help` lists them: one file in src/cli/ each. */
const COMMANDS: readonly Command[] = [report, compare, merge, profile]

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length))
  return [
    'Usage: perfwatch <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    '  -h, --help     this help; perfwatch <command> --help for a command',
    '  -v, --version  the version of perfwatch',
    '',
    'Exit codes: 0 fine, 1 compare found a regression, 2 bad input; profile: the program’s.',
  ].join('\n')
}

function version(): string {
  // dist/cli/main.js → the package's package.json
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}

/** Runs the command line `args` (without node and the script) and returns the exit code. */
export function main(args: string[], output: Output): number {
  const [first, ...rest] = args
  try {
    if (first === undefined) {
      output.stderr(help())
      return EXIT.badInput
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      output.stdout(help())
      return EXIT.ok
    }
    if (first === '--version' || first === '-v') {
      output.stdout(version())
      return EXIT.ok
    }
    const command = COMMANDS.find((c) => c.name === first)
    if (command === undefined) {
      throw new UsageError(
        first.startsWith('-')
          ? `unknown option ${first} (perfwatch --help lists the commands)`
          : `unknown command ${JSON.stringify(first)} (perfwatch --help lists the commands)`,
      )
    }
    return command.run(rest, output)
  } catch (error) {
    // Anything else is a bug of ours; still exit 2, never 1, which a CI gate reads as a regression.
    const message = error instanceof UsageError ? error.message : `internal error: ${String(error)}`
    output.stderr(`perfwatch: ${message}`)
    return EXIT.badInput
  }
}

// `perfwatch report x.json | head` closes the pipe early: stop writing, keep the exit code.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

const output: Output = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
}
// process.exitCode, not process.exit(): stdout piped to a slow reader is flushed first.
process.exitCode = main(process.argv.slice(2), output)
