import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import {
  ERROR_CODES,
  getTimedOperations,
  InvalidArgumentError,
  OPERATION_PREFIX_KEY,
  operationPrefix,
  PerformanceTracker,
  TIMED_OPERATIONS_KEY,
} from '../src/index.js'
import { testTracker } from './helpers/tracker.js'

// The fixtures are compiled by tsc in global-setup.ts, once per decorator mode.
interface OrderService {
  factor: number
  add(a: number, b: number): number
  load(id: string, delayMs?: number): Promise<{ id: string; factor: number }>
  fail(message: string): never
  reject(message: string): Promise<never>
  guarded(): string
  thenable(value: number): PromiseLike<number>
}
interface Fixture {
  ROLES_KEY: string
  defineServices(tracker: PerformanceTracker): {
    OrderService: (new () => OrderService) & { version(): string }
    PriorityOrderService: new () => OrderService & { rush(): string }
  }
  definePrefixed(tracker: PerformanceTracker): {
    InvoiceService: (new () => InvoiceService) & { count(): number }
    PriorityInvoiceService: new () => InvoiceService & { expedite(): string }
    AuditedInvoiceService: new () => InvoiceService & { audit(): string }
  }
  defineLedgers(tracker: PerformanceTracker): {
    EuLedger: new () => { post(): string }
    UsLedger: new () => { post(): string }
  }
  defineWithPrefix(prefix: unknown): unknown
}
interface InvoiceService {
  issue(): string
  cancel(): string
}

const modes = ['legacy', 'standard'] as const

async function importFixture(mode: (typeof modes)[number]) {
  const url = new URL(`./fixtures/decorators/out/${mode}/services.js`, import.meta.url).href
  return (await import(url)) as Fixture
}

async function load(mode: (typeof modes)[number], options = {}) {
  const fixture = await importFixture(mode)
  const { tracker, clock } = testTracker(options)
  return { fixture, tracker, clock, ...fixture.defineServices(tracker) }
}

async function loadPrefixed(mode: (typeof modes)[number]) {
  const fixture = await importFixture(mode)
  const { tracker } = testTracker()
  return {
    fixture,
    tracker,
    ...fixture.definePrefixed(tracker),
    ...fixture.defineLedgers(tracker),
  }
}

const operations = (tracker: PerformanceTracker) =>
  tracker.getSystemSummary().trackedOperations.sort()

describe.each(modes)('@timeOperation with %s decorators', (mode) => {
  it('times sync methods under ClassName.methodName, keeping this and the result', async () => {
    const { tracker, OrderService } = await load(mode)
    const service = new OrderService()
    expect(service.add(1, 2)).toBe(13)
    expect(tracker.getOperationStats('OrderService.add')).toMatchObject({
      totalCount: 1,
      successRate: 1,
    })
  })

  it('times async methods until they settle', async () => {
    const { tracker, OrderService } = await load(mode)
    await expect(new OrderService().load('o-1')).resolves.toEqual({ id: 'o-1', factor: 10 })
    expect(tracker.getOperationStats('OrderService.load')?.successRate).toBe(1)
  })

  it('records a throwing method as a failure and re-throws the same error', async () => {
    const { tracker, OrderService } = await load(mode)
    expect(() => new OrderService().fail('bad input')).toThrow('bad input')
    expect(tracker.getOperationStats('orders.fail')?.errorRate).toBe(1)
  })

  it('records a rejecting method as a failure and rejects with the same error', async () => {
    const { tracker, OrderService } = await load(mode)
    await expect(new OrderService().reject('gone')).rejects.toThrow('gone')
    expect(tracker.getOperationStats('orders.reject')?.errorRate).toBe(1)
  })

  it('times methods returning a thenable', async () => {
    const { tracker, OrderService } = await load(mode)
    expect(await new OrderService().thenable(4)).toBe(4)
    expect(tracker.getOperationStats('OrderService.thenable')?.totalCount).toBe(1)
  })

  it('times static methods through tracker.timeOperation()', async () => {
    const { tracker, OrderService } = await load(mode)
    expect(OrderService.version()).toBe('1.0')
    expect(tracker.getOperationStats('OrderService.version')?.totalCount).toBe(1)
  })

  it('names inherited methods after the declaring class', async () => {
    const { tracker, PriorityOrderService } = await load(mode)
    const service = new PriorityOrderService()
    service.add(1, 1)
    service.rush()
    expect(tracker.getSystemSummary().trackedOperations.sort()).toEqual([
      'OrderService.add',
      'PriorityOrderService.rush',
    ])
  })

  it('keeps name, length and the reflect-metadata other decorators put on the method', async () => {
    const { fixture, OrderService } = await load(mode)
    const proto = OrderService.prototype
    expect(proto.add.name).toBe('add')
    expect(proto.add.length).toBe(2)
    expect(Reflect.getMetadata(fixture.ROLES_KEY, proto.guarded)).toEqual(['admin'])
  })

  it('lists decorated methods with getTimedOperations', async () => {
    const { PriorityOrderService, OrderService } = await load(mode)
    const listed = getTimedOperations(new PriorityOrderService())
    expect(listed).toContainEqual({
      method: 'rush',
      operation: 'PriorityOrderService.rush',
      isStatic: false,
    })
    expect(listed).toContainEqual({ method: 'add', operation: 'OrderService.add', isStatic: false })
    expect(getTimedOperations(OrderService)).toEqual(
      expect.arrayContaining([
        { method: 'fail', operation: 'orders.fail', isStatic: false },
        { method: 'version', operation: 'OrderService.version', isStatic: true },
      ]),
    )
    expect(getTimedOperations(OrderService)).toHaveLength(8)
  })

  it('calls straight through with no clock read when the tracker is disabled', async () => {
    const { tracker, clock, OrderService } = await load(mode, { enabled: false })
    // the method stays exactly as written, not a wrapper that checks `enabled` on each call
    expect(OrderService.prototype.add.toString()).toMatch(/return a \+ b \+ this\.factor/)
    const service = new OrderService()
    expect(service.add(1, 2)).toBe(13)
    expect(() => service.fail('x')).toThrow('x')
    await expect(service.load('a')).resolves.toMatchObject({ id: 'a' })
    expect(clock.reads).toBe(0)
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
  })
})

describe.each(modes)('@operationPrefix with %s decorators', (mode) => {
  it('records methods without a name under prefix.methodName', async () => {
    const { tracker, InvoiceService } = await loadPrefixed(mode)
    expect(new InvoiceService().issue()).toBe('issued')
    expect(InvoiceService.count()).toBe(1)
    expect(operations(tracker)).toEqual(['billing.count', 'billing.issue'])
  })

  it('lets an explicit name win over the prefix', async () => {
    const { tracker, InvoiceService } = await loadPrefixed(mode)
    expect(new InvoiceService().cancel()).toBe('cancelled')
    expect(operations(tracker)).toEqual(['invoices.cancel'])
  })

  it('gives two classes of the same name separate operations', async () => {
    const { tracker, EuLedger, UsLedger } = await loadPrefixed(mode)
    expect(EuLedger.name).toBe('Ledger')
    expect(UsLedger.name).toBe('Ledger')
    expect(new EuLedger().post()).toBe('eu')
    new UsLedger().post()
    new UsLedger().post()
    expect(tracker.getOperationStats('ledger.eu.post')?.totalCount).toBe(1)
    expect(tracker.getOperationStats('ledger.us.post')?.totalCount).toBe(2)
    expect(operations(tracker)).toEqual(['ledger.eu.post', 'ledger.us.post'])
  })

  it("records inherited methods under the declaring class's prefix", async () => {
    const { tracker, PriorityInvoiceService, AuditedInvoiceService } = await loadPrefixed(mode)
    const priority = new PriorityInvoiceService()
    priority.issue()
    priority.expedite()
    const audited = new AuditedInvoiceService()
    audited.issue()
    audited.audit()
    expect(operations(tracker)).toEqual([
      'AuditedInvoiceService.audit',
      'billing.issue',
      'billing.priority.expedite',
    ])
    expect(tracker.getOperationStats('billing.issue')?.totalCount).toBe(2)
  })

  it('lists the prefixed names with getTimedOperations', async () => {
    const { InvoiceService, PriorityInvoiceService, AuditedInvoiceService, EuLedger } =
      await loadPrefixed(mode)
    expect(getTimedOperations(InvoiceService)).toEqual(
      expect.arrayContaining([
        { method: 'issue', operation: 'billing.issue', isStatic: false },
        { method: 'cancel', operation: 'invoices.cancel', isStatic: false },
        { method: 'count', operation: 'billing.count', isStatic: true },
      ]),
    )
    expect(getTimedOperations(InvoiceService)).toHaveLength(3)
    const priority = getTimedOperations(new PriorityInvoiceService())
    expect(priority).toContainEqual({
      method: 'expedite',
      operation: 'billing.priority.expedite',
      isStatic: false,
    })
    expect(priority).toContainEqual({
      method: 'issue',
      operation: 'billing.issue',
      isStatic: false,
    })
    expect(getTimedOperations(AuditedInvoiceService)).toContainEqual({
      method: 'audit',
      operation: 'AuditedInvoiceService.audit',
      isStatic: false,
    })
    expect(getTimedOperations(EuLedger)).toEqual([
      { method: 'post', operation: 'ledger.eu.post', isStatic: false },
    ])
  })

  it.each([
    ['an empty string', ''],
    ['a string over 1,024 characters', 'x'.repeat(1025)],
    ['a number', 42],
    ['undefined', undefined],
  ])('throws the coded InvalidArgumentError for %s, at class definition', async (_, prefix) => {
    const fixture = await importFixture(mode)
    let thrown: unknown
    try {
      fixture.defineWithPrefix(prefix)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError)
    expect(thrown).toMatchObject({ code: ERROR_CODES.invalidArgument })
    expect(String(thrown)).toMatch(/operation prefix must be a non-empty string/)
    expect(fixture.defineWithPrefix('x'.repeat(1024))).toBeTypeOf('function')
  })
})

describe('decorator metadata', () => {
  it('keeps the design:paramtypes TypeScript emits in legacy mode', async () => {
    const { OrderService } = await load('legacy')
    expect(Reflect.getMetadata('design:paramtypes', OrderService.prototype, 'add')).toEqual([
      Number,
      Number,
    ])
    expect(Reflect.getOwnMetadata(TIMED_OPERATIONS_KEY, OrderService)).toHaveLength(8)
  })

  it('records into context.metadata in standard mode', async () => {
    const { OrderService } = await load('standard')
    const metadata = (OrderService as unknown as Record<symbol, Record<symbol, unknown>>)[
      Symbol.metadata
    ]
    expect(metadata?.[TIMED_OPERATIONS_KEY]).toHaveLength(8)
  })

  it('keeps the prefix in reflect-metadata on the class in legacy mode', async () => {
    const { InvoiceService, AuditedInvoiceService } = await loadPrefixed('legacy')
    expect(Reflect.getOwnMetadata(OPERATION_PREFIX_KEY, InvoiceService)).toBe('billing')
    expect(Reflect.getOwnMetadata(OPERATION_PREFIX_KEY, AuditedInvoiceService)).toBeUndefined()
  })

  it('keeps the prefix in context.metadata in standard mode', async () => {
    const { InvoiceService, PriorityInvoiceService } = await loadPrefixed('standard')
    const metadataOf = (cls: object) =>
      (cls as Record<symbol, Record<symbol, unknown>>)[Symbol.metadata] ?? {}
    expect(Object.getOwnPropertySymbols(metadataOf(InvoiceService))).toContain(OPERATION_PREFIX_KEY)
    expect(metadataOf(InvoiceService)[OPERATION_PREFIX_KEY]).toBe('billing')
    expect(metadataOf(PriorityInvoiceService)[OPERATION_PREFIX_KEY]).toBe('billing.priority')
    expect(Reflect.getOwnMetadata(OPERATION_PREFIX_KEY, InvoiceService)).toBeUndefined()
  })

  it('falls back to reflect-metadata when a standard decorator context has no metadata', () => {
    // As a compiler that passes no context.metadata would call the decorators.
    const { tracker } = testTracker()
    class Ledger {
      post(): number {
        return 1
      }
    }
    const methodContext = { kind: 'method', name: 'post', static: false } as never
    Ledger.prototype.post = tracker.timeOperation()(Ledger.prototype.post, methodContext)
    operationPrefix('ledger')(Ledger, { kind: 'class', name: 'Ledger' } as never)
    expect(new Ledger().post()).toBe(1)
    expect(operations(tracker)).toEqual(['ledger.post'])
  })

  it('throws at definition when applied to something other than a method', () => {
    const decorate = new PerformanceTracker({ storagePath: null }).timeOperation()
    const fieldContext = { kind: 'field', name: 'x', static: false } as never
    expect(() => decorate(undefined as never, fieldContext)).toThrow(/methods only/)
    expect(() => new PerformanceTracker({ storagePath: null }).timeOperation('')).toThrow(
      /operation name must be a non-empty string/,
    )
  })

  it('throws at definition when @operationPrefix is applied to something other than a class', () => {
    const decorate = operationPrefix('orders')
    const methodContext = { kind: 'method', name: 'load', static: false } as never
    expect(() => decorate((() => undefined) as never, methodContext)).toThrow(/classes only/)
    // legacy: a static property decorator gets (class, key), a method one (prototype, key, descriptor)
    expect(() => Reflect.apply(decorate, undefined, [class {}, 'x'])).toThrow(/classes only/)
    expect(() => Reflect.apply(decorate, undefined, [{}, 'x', { value: () => 1 }])).toThrow(
      /classes only/,
    )
  })
})
