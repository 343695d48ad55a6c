import { describe, expect, it } from 'vitest'
import { InvalidOptionError, PerformanceTracker, type TrackerOptions } from '../../src/index.js'

// Issue 7, item 9: a misspelt option (windowsize) was silently ignored.
function optionError(options: object): InvalidOptionError {
  try {
    new PerformanceTracker({ storagePath: null, ...options } as TrackerOptions)
  } catch (error) {
    return error as InvalidOptionError
  }
  throw new Error('no error')
}

describe('unknown options', () => {
  it.each([
    ['windowsize', 'windowSize'], // case-insensitive match first
    ['WINDOWSIZE', 'windowSize'],
    ['maxOpenTimer', 'maxOpenTimers'],
    ['warningInterval', 'warningIntervalMs'],
    ['stdDevTreshold', 'stdDevThreshold'],
    ['clok', 'clock'],
  ])('%s: "did you mean %s?"', (key, suggestion) => {
    const error = optionError({ [key]: 1 })
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.code).toBe('PERFWATCH_INVALID_OPTION')
    expect(error.option).toBe(key)
    expect(error.message).toBe(`Unknown option "${key}": did you mean ${suggestion}?`)
  })

  it('lists the valid options when none is close', () => {
    const error = optionError({ timeout: 5000 })
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error.message).toMatch(/^Unknown option "timeout": valid options are windowSize, /)
    expect(error.message).toContain('maxFileBytes')
  })

  it('checks even an undefined value', () => {
    expect(optionError({ windowsize: undefined })).toBeInstanceOf(InvalidOptionError)
  })
})
