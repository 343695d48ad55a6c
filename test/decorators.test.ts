import 'reflect-metadata'
import { describe, expect, it } from 'vitest'
import { getTimedOperations, PerformanceTracker, TIMED_OPERATIONS_KEY } from '../src/index.js'
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
}

const modes = ['legacy', 'standard'] as const

async function load(mode: (typeof modes)[number], options = {}) {
  const url = new URL(`./fixtures/decorators/out/${mode}/services.js`, import.meta.url).href
  const fixture = (await import(url)) as Fixture
  const { tracker, clock } = testTracker(options)
  return { fixture, tracker, clock, ...fixture.defineServices(tracker) }
}

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
    const service = new OrderService()
    expect(service.add(1, 2)).toBe(13)
    expect(() => service.fail('x')).toThrow('x')
    await expect(service.load('a')).resolves.toMatchObject({ id: 'a' })
    expect(clock.reads).toBe(0)
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
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

  it('throws at definition when applied to something other than a method', () => {
    const decorate = new PerformanceTracker({ storagePath: null }).timeOperation()
    const fieldContext = { kind: 'field', name: 'x', static: false } as never
    expect(() => decorate(undefined as never, fieldContext)).toThrow(/methods only/)
    expect(() => new PerformanceTracker({ storagePath: null }).timeOperation('')).toThrow(
      /operation name must be a non-empty string/,
    )
  })
})
