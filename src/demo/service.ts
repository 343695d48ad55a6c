import { timeOperation } from '../index.js'
import { logNormal } from './random.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Latency around `medianMs`, log-normal (σ 0.3) like a real dependency: with a tail. (A bounded
 * spread made the baseline's p99 a hard ceiling, so timer jitter of a busy event loop alone
 * looked like a tail degradation.)
 */
function jitter(medianMs: number): number {
  return logNormal(Math.random, medianMs, 0.3)
}

/** A small checkout service whose methods are timed by perfwatch with `@timeOperation`. */
export class CheckoutService {
  /** Multiplies the database latency: the demo raises it to inject a slowdown. */
  databaseSlowdown = 1

  @timeOperation('db.findOrder')
  async findOrder(id: number): Promise<{ id: number; items: number[] }> {
    await sleep(jitter(4) * this.databaseSlowdown)
    return { id, items: Array.from({ length: 20 }, (_, i) => (id * 31 + i * 7) % 100) }
  }

  @timeOperation()
  priceCart(items: number[]): number {
    // Real CPU work, timed synchronously.
    let total = 0
    for (let round = 0; round < 5000; round++) {
      for (const price of items) total += Math.sqrt(price + round)
    }
    return Math.round(total)
  }

  @timeOperation('payments.charge')
  async charge(amount: number): Promise<string> {
    await sleep(jitter(6))
    if (Math.random() < 0.02) throw new Error('card declined')
    return `charged ${amount}`
  }

  async checkout(id: number): Promise<void> {
    const order = await this.findOrder(id)
    const amount = this.priceCart(order.items)
    await this.charge(amount).catch(() => undefined) // declines are part of normal traffic
  }
}
