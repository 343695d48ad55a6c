import { pino } from 'pino'
import { PerformanceTracker } from '../../dist/index.js'
const t = new PerformanceTracker({ storagePath: null, logger: pino({ level: 'silent' }) })
const values = new Float64Array(1024)
for (let i = 0; i < values.length; i++) values[i] = 5 + ((i * 7919) % 1000) / 100
for (let i = 0; i < 1000; i++) t.record('record', values[i & 1023])
const run = new Function('t', 'v', 'return function(n){ for (let i = 0; i < n; i++) t.record("record", v[i & 1023]) }')(t, values)
for (let k = 0; k < 300; k++) run(100000)
const t0 = performance.now(); run(1e6); console.log(((performance.now() - t0) * 1e6 / 1e6).toFixed(1), 'ns/record')
