/**
 * Open timers of `startOperation`/`endOperation`, without a Map: a Map keyed by a fresh id per
 * timer costs ~200 ns for set + get + delete, and an id above 2^31 costs ~100 ns to turn into a
 * string (both measured while building the startEnd benchmark case). Timers live in slots of
 * parallel arrays; the id is a small integer, as a decimal string, holding the slot in its low
 * bits and the slot's generation above them:
 *
 *   slotBits 14 (maxOpenTimers 10,000): id "49155" = 3 * 2^14 + 3, slot 3, generation 3.
 *
 * Ending a timer parses the id and checks that its slot is open with that generation, so an
 * ended or evicted timer's id does not match again. Free slots are reused first-in first-out,
 * so a slot comes back only after every other free slot did, and a generation (16 bits at
 * 10,000 timers) repeats after tens of thousands of reuses of that slot, not after one.
 *
 * A queue of (slot, generation) in start order finds the oldest open timer for eviction;
 * ended timers' entries are skipped and the queue is compacted when it outgrows the open timers,
 * so every operation is O(1) amortised.
 */
const ID_LIMIT = 2 ** 30 // ids stay small integers (V8 Smis): fast to format and to parse

export class TimerTable<Target> {
  readonly maxOpen: number
  private readonly slotLimit: number
  private readonly generationLimit: number
  private capacity = 0
  /** Generation of the open timer in each slot, 0 when the slot is free. */
  private generations = new Int32Array(0)
  private lastGeneration = new Int32Array(0)
  private starts = new Float64Array(0)
  private targets: Array<Target | undefined> = []
  private metadata: unknown[] = []
  /** Free slots, oldest first: a ring of `capacity` entries. */
  private free = new Int32Array(0)
  private freeHead = 0
  private freeCount = 0
  private openCount = 0
  /** Start order: slot and generation, interleaved; entries of closed timers are skipped. */
  private order: number[] = []
  private orderHead = 0

  constructor(maxOpen: number) {
    this.maxOpen = Math.min(maxOpen, 2 ** 20)
    this.slotLimit = 2 ** Math.max(4, Math.ceil(Math.log2(this.maxOpen)))
    this.generationLimit = ID_LIMIT / this.slotLimit
  }

  get size(): number {
    return this.openCount
  }

  /** Opens a timer and returns its id; the caller evicts first when `size === maxOpen`. */
  open(target: Target, startMs: number, metadata: unknown): string {
    if (this.freeCount === 0) this.grow()
    const slot = this.free[this.freeHead] as number
    this.freeHead = this.freeHead + 1 === this.capacity ? 0 : this.freeHead + 1
    this.freeCount--
    let generation = (this.lastGeneration[slot] as number) + 1
    if (generation === this.generationLimit) generation = 1
    this.lastGeneration[slot] = generation
    this.generations[slot] = generation
    this.starts[slot] = startMs
    this.targets[slot] = target
    this.metadata[slot] = metadata
    this.openCount++
    this.order.push(slot, generation)
    if (this.order.length - this.orderHead > 4 * this.maxOpen + 64) this.compactOrder()
    return String(generation * this.slotLimit + slot)
  }

  /** The slot of an open timer's id, or -1 when no such timer is open. */
  find(id: string): number {
    if (typeof id !== 'string') return -1
    const value = Number(id)
    if (!(value > 0 && value < ID_LIMIT) || value !== Math.floor(value)) return -1
    const slot = value % this.slotLimit
    const generation = (value - slot) / this.slotLimit
    // Generations start at 1: a free slot's 0 never matches.
    return generation > 0 && slot < this.capacity && this.generations[slot] === generation
      ? slot
      : -1
  }

  startOf(slot: number): number {
    return this.starts[slot] as number
  }

  targetOf(slot: number): Target {
    return this.targets[slot] as Target
  }

  metadataOf(slot: number): unknown {
    return this.metadata[slot]
  }

  /** Frees a slot found by `find`. */
  close(slot: number): void {
    this.generations[slot] = 0
    this.targets[slot] = undefined
    this.metadata[slot] = undefined
    let tail = this.freeHead + this.freeCount
    if (tail >= this.capacity) tail -= this.capacity
    this.free[tail] = slot
    this.freeCount++
    this.openCount--
  }

  /** Closes the oldest open timer; false when none is open. */
  evictOldest(): boolean {
    while (this.orderHead < this.order.length) {
      const slot = this.order[this.orderHead] as number
      const generation = this.order[this.orderHead + 1] as number
      this.orderHead += 2
      if (this.generations[slot] === generation) {
        this.close(slot)
        return true
      }
    }
    return false
  }

  clear(): void {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.generations[slot] !== 0) this.close(slot)
    }
    this.order = []
    this.orderHead = 0
  }

  /** Doubles the slots (up to maxOpen); only called with no free slot. */
  private grow(): void {
    const old = this.capacity
    const capacity = Math.min(this.maxOpen, Math.max(16, old * 2))
    const resize = <T extends Int32Array | Float64Array>(array: T, make: (n: number) => T) => {
      const grown = make(capacity)
      grown.set(array)
      return grown
    }
    this.generations = resize(this.generations, (n) => new Int32Array(n))
    this.lastGeneration = resize(this.lastGeneration, (n) => new Int32Array(n))
    this.starts = resize(this.starts, (n) => new Float64Array(n))
    this.free = new Int32Array(capacity)
    for (let slot = old; slot < capacity; slot++) this.free[slot - old] = slot
    this.freeHead = 0
    this.freeCount = capacity - old
    this.capacity = capacity
  }

  private compactOrder(): void {
    const kept: number[] = []
    for (let i = this.orderHead; i < this.order.length; i += 2) {
      const slot = this.order[i] as number
      const generation = this.order[i + 1] as number
      if (this.generations[slot] === generation) kept.push(slot, generation)
    }
    this.order = kept
    this.orderHead = 0
  }
}
