import 'reflect-metadata'
import { InvalidArgumentError, WARNING_CODES } from './core/errors.js'
import { checkName } from './core/validate.js'
import { createTimedFunction, type TimedTarget, type TimingSource } from './timing.js'

// TypeScript's standard-decorator helpers give `context.metadata` only when `Symbol.metadata`
// exists when the class is defined; Node 20 lacks it. This module runs before any class that
// imports the decorator, so defining it here is early enough (TypeScript 5.2 notes' polyfill).
const symbolConstructor = Symbol as unknown as { metadata?: symbol }
symbolConstructor.metadata ??= Symbol.for('Symbol.metadata')

/** The key under which decorated methods are listed: reflect-metadata (legacy) or `context.metadata`. */
export const TIMED_OPERATIONS_KEY: unique symbol = Symbol.for('perfwatch.timedOperations')

/**
 * The key under which `@operationPrefix` stores a class's prefix: reflect-metadata on the class
 * (legacy) or `context.metadata` (standard). Only a class's own prefix applies to its methods.
 */
export const OPERATION_PREFIX_KEY: unique symbol = Symbol.for('perfwatch.operationPrefix')

/** One decorated method, as `getTimedOperations` lists it. */
export interface TimedOperation {
  /** The method's name (a symbol for symbol-keyed methods). */
  method: string | symbol
  /** The operation its calls are recorded under. */
  operation: string
  /** True for a static method. */
  isStatic: boolean
}

interface TimedEntry {
  method: string | symbol
  /** Undefined when the default `prefix.methodName` or `ClassName.methodName` applies. */
  operation: string | undefined
  isStatic: boolean
}

// biome-ignore lint/suspicious/noExplicitAny: decorates methods of any signature
type AnyMethod = (this: any, ...args: any[]) => any

/**
 * What `timeOperation()` returns: a method decorator usable in both TypeScript modes, TC39
 * standard decorators (the default) and legacy `experimentalDecorators`.
 */
export interface TimeOperationDecorator {
  <T extends AnyMethod>(method: T, context: ClassMethodDecoratorContext<unknown, T>): T
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void
}

/** @deprecated The former name of `TimeOperationDecorator`; it shadowed TypeScript's global type. */
export type MethodDecorator = TimeOperationDecorator

// biome-ignore lint/suspicious/noExplicitAny: decorates classes of any constructor signature
type AnyClass = abstract new (...args: any[]) => unknown

/**
 * What `operationPrefix()` returns: a class decorator usable in both TypeScript modes, TC39
 * standard decorators (the default) and legacy `experimentalDecorators`.
 */
export interface OperationPrefixDecorator {
  <C extends AnyClass>(value: C, context: ClassDecoratorContext<C>): void
  (target: AnyClass): void
}

/** @deprecated The former name of `OperationPrefixDecorator`; it shadowed TypeScript's global type. */
export type ClassDecorator = OperationPrefixDecorator

/**
 * Names the operations of the class's `@timeOperation()` methods that have no explicit name
 * `${prefix}.${methodName}` instead of `ClassName.methodName`: stable when a minifier renames the
 * class, and distinct for two classes of the same name. An explicit `@timeOperation('name')`
 * wins. Applies to the methods the class declares; inherited ones keep their declaring class's
 * name or prefix. Works with TC39 standard decorators and with legacy `experimentalDecorators`.
 * @throws InvalidArgumentError unless `prefix` is a non-empty string of at most 1,024 characters.
 *
 * @example
 * ```ts
 * @operationPrefix('orders')
 * class OrderService {
 *   @timeOperation() // orders.load, whatever the class is renamed to
 *   async load(id: string) { return db.orders.find(id) }
 * }
 * ```
 */
export function operationPrefix(prefix: string): OperationPrefixDecorator {
  checkName(prefix, 'operation prefix')
  function decorator(...args: unknown[]): void {
    const [value, context] = args
    if (typeof value !== 'function')
      throw new InvalidArgumentError('@operationPrefix decorates classes only')
    if (isDecoratorContext(context)) {
      if (context.kind !== 'class') {
        throw new InvalidArgumentError(
          `@operationPrefix decorates classes only; ${String(context.name)} is not one`,
        )
      }
      // The same object the method decorators of this class saw; standard decorators without
      // metadata (no Symbol.metadata when the class was defined) fall back to reflect-metadata.
      const metadata = context.metadata as Record<PropertyKey, unknown> | null | undefined
      if (metadata !== undefined && metadata !== null) metadata[OPERATION_PREFIX_KEY] = prefix
      else Reflect.defineMetadata(OPERATION_PREFIX_KEY, prefix, value)
      return
    }
    if (args.length !== 1) throw new InvalidArgumentError('@operationPrefix decorates classes only')
    Reflect.defineMetadata(OPERATION_PREFIX_KEY, prefix, value)
  }
  return decorator as OperationPrefixDecorator
}

/**
 * Builds a method decorator that records into the tracker `getTracker()` returns. The tracker is
 * asked on the first call, not at class definition, so a default tracker configured at start-up
 * applies to classes imported before it.
 */
export function createMethodDecorator(
  operationName: string | undefined,
  getTracker: () => TimingSource,
  /** The tracker if it is known at class definition, to leave methods of a disabled one bare. */
  knownTracker: () => TimingSource | undefined = getTracker,
): TimeOperationDecorator {
  if (operationName !== undefined) checkName(operationName)
  function decorator(...args: unknown[]): unknown {
    const [value, contextOrKey, descriptor] = args
    // A tracker disabled at class definition never times: the method stays exactly as written.
    const isBare = knownTracker()?.enabled === false
    if (isDecoratorContext(contextOrKey)) {
      return decorateStandard(value, contextOrKey, operationName, getTracker, isBare)
    }
    if (
      (typeof value === 'object' || typeof value === 'function') &&
      value !== null &&
      (typeof contextOrKey === 'string' || typeof contextOrKey === 'symbol') &&
      typeof descriptor === 'object' &&
      descriptor !== null
    ) {
      decorateLegacy(
        value,
        contextOrKey,
        descriptor as PropertyDescriptor,
        operationName,
        getTracker,
        isBare,
      )
      return descriptor
    }
    throw new InvalidArgumentError('@timeOperation decorates class methods only')
  }
  return decorator as TimeOperationDecorator
}

function decorateLegacy(
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  operationName: string | undefined,
  getTracker: () => TimingSource,
  isBare: boolean,
): void {
  const method: unknown = descriptor.value
  if (typeof method !== 'function') {
    throw new InvalidArgumentError(
      `@timeOperation decorates methods only; ${String(key)} is not a method`,
    )
  }
  const isStatic = typeof target === 'function'
  const owner = (isStatic ? target : target.constructor) as { name: string }
  const entries: TimedEntry[] = Reflect.getOwnMetadata(TIMED_OPERATIONS_KEY, owner) ?? []
  entries.push({ method: key, operation: operationName, isStatic })
  Reflect.defineMetadata(TIMED_OPERATIONS_KEY, entries, owner)
  if (isBare) return
  // Class decorators (`@operationPrefix`) run after method decorators, so the default name is
  // resolved on the first call, once: the target is cached by createTimedFunction.
  descriptor.value = timedMethod(method as AnyMethod, () =>
    targetFor(getTracker, operationName ?? defaultOperation(owner, key)),
  )
}

function decorateStandard(
  method: unknown,
  context: DecoratorContext,
  operationName: string | undefined,
  getTracker: () => TimingSource,
  isBare: boolean,
): AnyMethod {
  if (context.kind !== 'method' || typeof method !== 'function') {
    throw new InvalidArgumentError(
      `@timeOperation decorates methods only; ${String(context.name)} is not one`,
    )
  }
  const metadata = context.metadata as Record<PropertyKey, unknown> | undefined
  if (metadata !== undefined) {
    if (!Object.hasOwn(metadata, TIMED_OPERATIONS_KEY)) metadata[TIMED_OPERATIONS_KEY] = []
    const entries = metadata[TIMED_OPERATIONS_KEY] as TimedEntry[]
    entries.push({ method: context.name, operation: operationName, isStatic: context.static })
  }
  if (isBare) return method as AnyMethod
  // The class is not named yet when a standard method decorator runs (nor its prefix set), so the
  // default `prefix.methodName` or `ClassName.methodName` is resolved on the first call, from
  // `this`.
  const wrapper: AnyMethod = timedMethod(method as AnyMethod, (thisArg) => {
    if (operationName !== undefined) return targetFor(getTracker, operationName)
    const owner = declaringClass(thisArg, context, metadata, wrapper)
    if (owner === undefined) return undefined // a detached call: untimed, try again next call
    return targetFor(getTracker, defaultOperation(owner, context.name))
  })
  return wrapper
}

/** Wraps a method and keeps the reflect-metadata frameworks read from it. */
function timedMethod(
  method: AnyMethod,
  resolve: (thisArg: unknown) => TimedTarget | null | undefined,
) {
  const wrapper = createTimedFunction(method, resolve)
  // NestJS's SetMetadata and similar write onto the method itself; copy those keys over.
  for (const key of Reflect.getOwnMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, method), wrapper)
  }
  return wrapper
}

function targetFor(getTracker: () => TimingSource, operation: string): TimedTarget | null {
  try {
    return getTracker().timedTarget(operation)
  } catch (error) {
    // Monitoring must not break the monitored method: call it untimed from now on.
    const shown = operation.length > 100 ? `${operation.slice(0, 100)}…` : operation
    process.emitWarning(`perfwatch cannot time ${shown}; calling it untimed: ${String(error)}`, {
      code: WARNING_CODES.untimedMethod,
    })
    return null
  }
}

/** `prefix.methodName` with the class's own `@operationPrefix`, else `ClassName.methodName`. */
function defaultOperation(owner: { name: string }, method: string | symbol): string {
  return `${ownPrefix(owner) ?? owner.name}.${String(method)}`
}

/** The prefix `@operationPrefix` gave this very class (not one inherited from a parent class). */
function ownPrefix(owner: object): string | undefined {
  if (Object.hasOwn(owner, Symbol.metadata)) {
    const metadata = (owner as { [Symbol.metadata]: Record<PropertyKey, unknown> | null })[
      Symbol.metadata
    ]
    // A subclass's metadata inherits from its parent's: only an own prefix counts.
    if (metadata !== null && Object.hasOwn(metadata, OPERATION_PREFIX_KEY)) {
      return metadata[OPERATION_PREFIX_KEY] as string
    }
  }
  return Reflect.getOwnMetadata(OPERATION_PREFIX_KEY, owner)
}

/** The class that declared the decorated method, found from the receiver of a call. */
function declaringClass(
  thisArg: unknown,
  context: ClassMethodDecoratorContext,
  metadata: object | undefined,
  wrapper: AnyMethod,
): { name: string } | undefined {
  if ((typeof thisArg !== 'object' && typeof thisArg !== 'function') || thisArg === null) {
    return undefined
  }
  let candidate: unknown = context.static ? thisArg : thisArg.constructor
  while (typeof candidate === 'function') {
    const isOwner =
      metadata !== undefined
        ? Object.hasOwn(candidate, Symbol.metadata) &&
          (candidate as { [Symbol.metadata]: unknown })[Symbol.metadata] === metadata
        : Object.getOwnPropertyDescriptor(
            context.static ? candidate : candidate.prototype,
            context.name,
          )?.value === wrapper
    if (isOwner) return candidate
    candidate = Object.getPrototypeOf(candidate)
  }
  return undefined
}

/**
 * Lists the methods of a class (or of an instance's class) decorated with `@timeOperation`,
 * inherited ones included, with the operation names their calls are recorded under.
 */
export function getTimedOperations(classOrInstance: object): TimedOperation[] {
  const listed: TimedOperation[] = []
  const seen = new Set<string | symbol>()
  let candidate: unknown =
    typeof classOrInstance === 'function' ? classOrInstance : classOrInstance?.constructor
  while (typeof candidate === 'function' && candidate !== Function.prototype) {
    const owner = candidate as { name: string }
    for (const entry of ownEntries(candidate)) {
      const id = entry.isStatic ? `static ${String(entry.method)}` : entry.method
      if (seen.has(id)) continue // overridden in a subclass
      seen.add(id)
      listed.push({
        method: entry.method,
        operation: entry.operation ?? defaultOperation(owner, entry.method),
        isStatic: entry.isStatic,
      })
    }
    candidate = Object.getPrototypeOf(candidate)
  }
  return listed
}

function ownEntries(owner: object): TimedEntry[] {
  const legacy: TimedEntry[] = Reflect.getOwnMetadata(TIMED_OPERATIONS_KEY, owner) ?? []
  if (!Object.hasOwn(owner, Symbol.metadata)) return legacy
  const metadata = (owner as { [Symbol.metadata]: Record<PropertyKey, unknown> | null })[
    Symbol.metadata
  ]
  if (metadata === null || !Object.hasOwn(metadata, TIMED_OPERATIONS_KEY)) return legacy
  return [...legacy, ...(metadata[TIMED_OPERATIONS_KEY] as TimedEntry[])]
}

/** A standard decorator's context (of a method, a class, …), as opposed to a legacy key. */
function isDecoratorContext(value: unknown): value is DecoratorContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind !== undefined &&
    'name' in value
  )
}
