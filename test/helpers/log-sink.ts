import { type Logger, pino } from 'pino'

/** A parsed pino line. */
export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/**
 * Warning and error lines that carry neither an `event` (a report: degradation, stall, ...) nor
 * a `code` (perfwatch's own problem, listed in docs/errors.md). test/setup.ts fails the test that
 * logged one: every line a user may alert on must be matchable by a field, not by its wording.
 */
export const uncodedLines: LogLine[] = []

/** A real pino logger whose destination parses every line it writes (pino's own `sink()`). */
export function logSink(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const destination = {
    write: (text: string) => {
      const line = JSON.parse(text) as LogLine
      lines.push(line)
      if (line.level >= WARN && line.event === undefined && line.code === undefined) {
        uncodedLines.push(line)
      }
    },
  }
  return { logger: pino({ level }, destination), lines }
}

export const WARN = 40
export const ERROR = 50
export const INFO = 30
