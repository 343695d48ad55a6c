import { type Logger, pino } from 'pino'

/** A parsed pino line. */
export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/** A real pino logger whose destination parses every line it writes (pino's own `sink()`). */
export function logSink(level = 'debug'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = []
  const destination = { write: (line: string) => lines.push(JSON.parse(line) as LogLine) }
  return { logger: pino({ level }, destination), lines }
}

export const WARN = 40
export const ERROR = 50
export const INFO = 30
