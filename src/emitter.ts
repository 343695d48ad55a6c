import type { TrackerEventName, TrackerEvents, TrackerListener } from './core/snapshot.js'

export const EVENT_NAMES: readonly TrackerEventName[] = [
  'degradation',
  'recovery',
  'baseline',
  'baseline-unstable',
  'stall',
  'process-slowdown',
  'threshold',
]

/** A minimal typed emitter: listeners are called in order; one that throws is reported. */
export class Emitter {
  private readonly listeners: { [K in TrackerEventName]: Array<TrackerListener<K>> } = {
    degradation: [],
    recovery: [],
    baseline: [],
    'baseline-unstable': [],
    stall: [],
    'process-slowdown': [],
    threshold: [],
  }

  on<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): void {
    this.listeners[name].push(listener)
  }

  off<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): void {
    const list = this.listeners[name]
    const index = list.lastIndexOf(listener)
    if (index >= 0) list.splice(index, 1)
  }

  /** True when someone listens: build the event object only then. */
  has(name: TrackerEventName): boolean {
    return this.listeners[name].length > 0
  }

  emit<K extends TrackerEventName>(
    name: K,
    event: TrackerEvents[K],
    onError: (error: unknown) => void,
  ): void {
    for (const listener of [...this.listeners[name]]) {
      try {
        listener(event)
      } catch (error) {
        onError(error)
      }
    }
  }
}
