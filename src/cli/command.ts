/**
 * What every command of the `perfwatch` bin shares: the exit codes (in this one place), the error
 * for bad input, the output streams, and argument parsing with `node:util` `parseArgs` (strict).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'

/** Exit codes of `perfwatch`: 0 fine, 1 a regression found by `compare`, 2 bad input. */
export const EXIT = { ok: 0, regression: 1, badInput: 2 } as const

/** Bad input: a bad argument, an unknown flag, a file that cannot be read. One line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** Where a command writes: whole lines, without their newline. */
export interface Output {
  stdout(line: string): void
  stderr(line: string): void
}

/** One command of the command table (`main.ts`). */
export interface Command {
  name: string
  /** One line for `perfwatch --help`. */
  summary: string
  /** The text of `perfwatch <name> --help`. */
  help: string
  /** The exit code: one of `EXIT`, or the program's for `perfwatch profile`. */
  run(args: string[], output: Output): number
}

type Options = NonNullable<ParseArgsConfig['options']>

/**
 * `parseArgs` in strict mode with `--help`, its errors turned into one line naming the command.
 * Returns undefined when `--help` was given (and printed).
 */
export function parseCommandArgs<T extends Options>(
  command: Pick<Command, 'name' | 'help'>,
  args: string[],
  options: T,
  output: Output,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } | undefined {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    throw new UsageError(`${command.name}: ${argumentProblem(error as Error)}`)
  }
  if (parsed.values.help === true) {
    output.stdout(command.help)
    return undefined
  }
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  }
}

/** parseArgs' messages run to three sentences; the first names the problem. */
function argumentProblem(error: Error): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1]
  switch ((error as { code?: string }).code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const name = option?.split(/[, ]/)[0] ?? ''
      if (error.message.includes('ambiguous')) {
        return `option ${name}: a value starting with - is given as ${name}=<value>`
      }
      return `option ${name} ${error.message.includes('argument missing') ? 'needs a value' : 'takes no value'}`
    }
    default:
      return (error.message.split('. ')[0] ?? error.message).replace(/\.$/, '')
  }
}

/** Column-aligned lines: the first `leftColumns` columns left-aligned, the others right-aligned. */
export function formatTable(rows: string[][], leftColumns = 1): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i < leftColumns ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  )
}
