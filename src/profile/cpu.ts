/**
 * A CPU profile of the run through `node:inspector` (full level): started with the profiler,
 * stopped at `report()` or `stop()`, written as a `.cpuprofile` file (Chrome DevTools and VS Code
 * open it), and summarised as the functions with the most self time.
 */
import { Session } from 'node:inspector'
import type { CpuFunction } from '../report/profile-report.js'

/** The inspector's sampling interval, µs. */
const SAMPLING_INTERVAL_US = 1000
/** Functions listed in the report. */
export const TOP_FUNCTIONS = 10

/** The parts of a V8 CPU profile this module reads. */
export interface CpuProfile {
  nodes: Array<{
    id: number
    hitCount?: number
    callFrame: { functionName: string; url: string; lineNumber: number }
  }>
  startTime: number
  endTime: number
  samples?: number[]
}

export class CpuProfiler {
  private session: Session | undefined

  start(): void {
    if (this.session !== undefined) return
    const session = new Session()
    session.connect()
    // The inspector answers a session of the same thread synchronously.
    session.post('Profiler.enable')
    session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US })
    session.post('Profiler.start')
    this.session = session
  }

  /** Stops profiling and returns the profile (undefined when it was not running). */
  stop(): CpuProfile | undefined {
    const session = this.session
    if (session === undefined) return undefined
    this.session = undefined
    let profile: CpuProfile | undefined
    let failure: unknown
    session.post('Profiler.stop', (error, result) => {
      failure = error
      profile = result?.profile as CpuProfile | undefined
    })
    session.disconnect()
    if (failure !== null && failure !== undefined) throw failure
    return profile
  }
}

/** The functions with the most self time (samples × the profile's mean sample interval). */
export function topFunctions(profile: CpuProfile, count = TOP_FUNCTIONS): CpuFunction[] {
  let hits = 0
  for (const node of profile.nodes) hits += node.hitCount ?? 0
  const totalMs = (profile.endTime - profile.startTime) / 1000
  const msPerHit = hits > 0 ? totalMs / hits : 0
  const byFunction = new Map<string, CpuFunction>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    if (functionName === '(idle)' || functionName === '(root)' || (node.hitCount ?? 0) === 0)
      continue
    const key = `${functionName}\u0000${url}\u0000${lineNumber}`
    const entry = byFunction.get(key) ?? {
      functionName,
      url,
      line: lineNumber,
      selfMs: 0,
      share: 0,
    }
    byFunction.set(key, entry)
    entry.selfMs += (node.hitCount ?? 0) * msPerHit
  }
  const list = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, count)
  for (const f of list) f.share = totalMs > 0 ? f.selfMs / totalMs : 0
  return list
}
