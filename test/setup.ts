import { afterEach, expect } from 'vitest'
import { uncodedLines } from './helpers/log-sink.js'

afterEach(() => {
  const lines = uncodedLines.splice(0).map((line) => line.msg)
  expect(lines, 'warning or error lines without a code or an event').toEqual([])
})
