/**
 * What perfwatch needs of a logger: the methods it calls, called as pino calls them,
 * `(object, message)`. pino, its child loggers and Fastify's `request.log` satisfy it as they are;
 * so does `console`. Without `isLevelEnabled` every level counts as enabled.
 */
export interface Logger {
  info(object: object, message: string): void
  warn(object: object, message: string): void
  error(object: object, message: string): void
  isLevelEnabled?(level: 'info' | 'warn' | 'error'): boolean
}
