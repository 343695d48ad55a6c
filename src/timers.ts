/**
 * Open timers of `startOperation`/`endOperation`, without a Map: a Map keyed by a fresh id per
 * timer (set, get, delete) and ids above 2^31 (slow to turn into strings) each cost more than
 * the rest of a timer did while the startEnd benchmark case was built. Timers live in slots of
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
 * Open timers are also linked in start order through two Int32Arrays of slots (`older`,
 * `newer`), so evicting the oldest and ending any timer are O(1) and the table never holds more
 * than `maxOpen` slots, however many timers are never ended. (A queue of start entries grew
 * with every start once every start evicted; test/regression/7-unended-timers-memory.test.ts.)
 */
const ID_LIMIT = 2 ** 30 // ids stay small integers (V8 Smis): fast to format and to parse

/** Most timers a table holds: ids below 2^30 then leave every slot at least 2^10 generations. */
export const MAX_OPEN_TIMERS = 2 ** 20

const NONE = -1

export class TimerTable<Target> {
  readonly maxOpen: number
  private readonly slotLimit: number
  private readonly generationLimit: number
  private capacity = 0
  /** Generation of the open timer in each slot, 0 when the slot is free. */
  private generations = new Int32Array(0)
  private lastGeneration = new Int32Array(0)
  private starts = new Float64Array(0)
  // Stryker disable next-line ArrayDeclaration: open() writes a slot's entry before targetOf reads it
  private targets: Array<Target | undefined> = []
  // Stryker disable next-line ArrayDeclaration: open() writes a slot's entry before metadataOf reads it
  private metadata: unknown[] = []
  /** Free slots, oldest first: a ring of `capacity` entries. */
  private free = new Int32Array(0)
  private freeHead = 0
  private freeCount = 0
  private openCount = 0
  /** Start order of the open timers: the slot started just before / after each, or NONE. */
  private older = new Int32Array(0)
  private newer = new Int32Array(0)
  private oldest = NONE
  private newest = NONE

  /** @param maxOpen at most MAX_OPEN_TIMERS (the option is validated). */
  constructor(maxOpen: number) {
    this.maxOpen = maxOpen
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
    this.older[slot] = this.newest
    this.newer[slot] = NONE
    if (this.newest === NONE) this.oldest = slot
    else this.newer[this.newest] = slot
    this.newest = slot
    return String(generation * this.slotLimit + slot)
  }

  /**
   * The slot of an open timer's id, or -1 when no such timer is open. Only the decimal form
   * `open` returns matches: Number() would also take " 16384 ", "+16384" or "16384.0".
   */
  find(id: string): number {
    if (typeof id !== 'string') return -1
    const length = id.length
    // ID_LIMIT has 10 digits: a longer id is rejected without reading it all.
    // Stryker disable next-line ConditionalExpression: only bounds the loop; a longer id (no leading 0) is over ID_LIMIT, so its generation matches no slot
    if (length > 10) return -1
    if (id.charCodeAt(0) === 48) return -1 // no id starts with 0
    let value = 0
    for (let i = 0; i < length; i++) {
      const digit = id.charCodeAt(i) - 48
      if (digit < 0 || digit > 9) return -1
      value = value * 10 + digit
    }
    const slot = value % this.slotLimit
    const generation = (value - slot) / this.slotLimit
    // Generations start at 1, so a free slot's 0 and "" never match; a value of ID_LIMIT or more
    // has a generation no slot reaches, and a slot past the table reads undefined.
    return generation > 0 && this.generations[slot] === generation ? slot : -1
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
    const older = this.older[slot] as number
    const newer = this.newer[slot] as number
    if (older === NONE) this.oldest = newer
    else this.newer[older] = newer
    if (newer === NONE) this.newest = older
    else this.older[newer] = older
    let tail = this.freeHead + this.freeCount
    if (tail >= this.capacity) tail -= this.capacity
    this.free[tail] = slot
    this.freeCount++
    this.openCount--
  }

  /** Closes the oldest open timer; false when none is open. */
  evictOldest(): boolean {
    if (this.oldest === NONE) return false
    this.close(this.oldest)
    return true
  }

  clear(): void {
    while (this.evictOldest()) {}
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
    this.older = resize(this.older, (n) => new Int32Array(n))
    this.newer = resize(this.newer, (n) => new Int32Array(n))
    this.free = new Int32Array(capacity)
    // Stryker disable next-line EqualityOperator: an extra entry lands at the ring's tail (or past its end), which close() writes before open() reads it
    for (let slot = old; slot < capacity; slot++) this.free[slot - old] = slot
    this.freeHead = 0
    this.freeCount = capacity - old
    this.capacity = capacity
  }
}
