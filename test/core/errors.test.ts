import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/index.js'

describe('error codes', () => {
  it('are each documented in docs/errors.md, and the doc names no other', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const documented = [...new Set(doc.match(/PERFWATCH_[A-Z_]+/g))].sort()
    expect(documented).toEqual(Object.values(ERROR_CODES).sort())
  })
})
