import { execFileSync, spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

// perfwatch as users get it: a fresh clone (the files git checks out, so no dist/) packed by
// npm, whose `prepare` script builds it; the tarball installed into a new project and used from
// plain node, require() and a strict TypeScript project. Also installed from a git URL.
const root = fileURLToPath(new URL('../..', import.meta.url))
const consumerFixture = join(root, 'test/fixtures/consumer')
const quiet: { encoding: 'utf8'; stdio: Array<'ignore' | 'pipe'> } = {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
}

/** The files a clone of this working tree has: tracked, and new ones not ignored. */
function cloneWorkingTree(to: string): void {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
  for (const file of listed.split('\0')) {
    if (file !== '' && existsSync(join(root, file))) cpSync(join(root, file), join(to, file))
  }
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', ['--no-audit', '--no-fund', '--prefer-offline', ...args], {
    cwd,
    ...quiet,
  })
}

function node(args: string[], cwd: string): string {
  return execFileSync(process.execPath, args, { cwd, ...quiet })
}

/** Writes `lines` as the consumer's script `name` and runs it there: its output, trimmed. */
function runScript(name: string, lines: string[]): string {
  writeFileSync(join(consumer, name), lines.join('\n'))
  return node([name], consumer).trim()
}

/** Relative links of a markdown file, without their anchors. */
function relativeLinks(markdown: string): string[] {
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string)
  return links
    .filter((link) => !/^[a-z]+:/.test(link) && !link.startsWith('#'))
    .map((link) => link.replace(/#.*$/, ''))
}

let consumer = ''
let packedFiles: string[] = []

// One packed and installed project for the tests below (tempDir() is removed after each test).
const work = mkdtempSync(join(tmpdir(), 'perfwatch-install-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

beforeAll(() => {
  const clone = join(work, 'clone')
  cloneWorkingTree(clone)
  expect(existsSync(join(clone, 'dist'))).toBe(false)
  // A module a developer deleted from src/ but still has in dist/ must not be packed.
  mkdirSync(join(clone, 'dist'))
  writeFileSync(join(clone, 'dist/removed.js'), 'export {}\n')
  // The development dependencies `prepare` builds with, as `npm install` in the clone would.
  symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'))
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], clone)) as Array<{
    filename: string
    files: Array<{ path: string }>
  }>
  packedFiles = packed[0]?.files.map((f) => f.path) ?? []
  consumer = join(work, 'consumer')
  mkdirSync(consumer)
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  )
  npm(
    [
      'install',
      join(work, packed[0]?.filename ?? ''),
      'fastify@5',
      'express@5',
      'pino@10',
      '@types/node@20',
      'typescript@5',
    ],
    consumer,
  )
  cpSync(consumerFixture, consumer, { recursive: true, filter: (from) => !from.includes('/out') })
}, 300_000)

describe('npm pack of a fresh clone', () => {
  it('builds the package and ships what its maps and docs point to', () => {
    for (const file of ['dist/index.js', 'dist/index.d.ts', 'src/index.ts', 'README.md']) {
      expect(packedFiles).toContain(file)
    }
    expect(packedFiles).toContain('docs/api.md')
    // The dashboard's page and the uPlot it ships, copied into dist/ by the build.
    for (const file of [
      'index.html',
      'dashboard.js',
      'dashboard.css',
      'vendor/uPlot.iife.min.js',
    ]) {
      expect(packedFiles).toContain(`dist/http/dashboard/${file}`)
    }
    expect(packedFiles).toContain('dist/http/dashboard/vendor/uPlot.LICENSE')
    expect(packedFiles).toContain('LICENSE')
    expect(packedFiles).not.toContain('dist/removed.js')
    const unwanted = /^(test|baselines|\.ci)\/|^(dist|src)\/demo\/|\.json$/
    // JSON files ship only as package.json and the Grafana dashboard the docs link to.
    const shippedJson = ['package.json', 'docs/prometheus/grafana-dashboard.json']
    expect(packedFiles.filter((f) => unwanted.test(f) && !shippedJson.includes(f))).toEqual([])
    expect(packedFiles).toContain('docs/prometheus/alerts.yml')
    const shipped = new Set(packedFiles)
    const installed = join(consumer, 'node_modules/perfwatch')
    // Every source map's sources, and every relative link of the docs, resolve in the package.
    const maps = packedFiles.filter((f) => f.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(installed, map), 'utf8')) as {
        sources: string[]
      }
      for (const source of sources)
        expect(shipped, map).toContain(normalize(join(dirname(map), source)))
    }
    for (const doc of packedFiles.filter((f) => f.endsWith('.md'))) {
      for (const link of relativeLinks(readFileSync(join(installed, doc), 'utf8'))) {
        expect(shipped, `${doc} links to ${link}`).toContain(normalize(join(dirname(doc), link)))
      }
    }
  })
})

describe('the installed tarball', () => {
  it('runs the README quick start with plain node and writes the baseline file', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const quickstart = readFileSync(join(consumerFixture, 'quickstart.mjs'), 'utf8')
    expect(readme).toContain(`\`\`\`js\n${quickstart}\`\`\``)
    const lines = node(['quickstart.mjs'], consumer).trim().split('\n')
    expect(lines.filter((line) => !line.startsWith('{'))).toEqual(['learning 200 true'])
    const saved = JSON.parse(readFileSync(join(consumer, 'baselines/perfwatch.json'), 'utf8'))
    expect(JSON.stringify(saved)).toContain('db.findOrder')
  })

  it('installs the perfwatch bin, which runs', () => {
    const bin = join(consumer, 'node_modules', '.bin', 'perfwatch')
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    expect(execFileSync(bin, ['--version'], { cwd: consumer, ...quiet }).trim()).toBe(version)
    const report = execFileSync(bin, ['report', 'baselines/perfwatch.json'], {
      cwd: consumer,
      ...quiet,
    })
    expect(report).toMatch(/^baselines\/perfwatch\.json: \d+ operations?\n/)
  })

  it('profiles a program with perfwatch profile, through the installed preload', () => {
    const bin = join(consumer, 'node_modules', '.bin', 'perfwatch')
    const run = spawnSync(bin, ['profile', '--json', 'profile.json', '--', 'quickstart.mjs'], {
      cwd: consumer,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    })
    expect(run.status).toBe(0)
    expect(run.stderr).toContain('\nPERFORMANCE REPORT\n')
    expect(JSON.parse(readFileSync(join(consumer, 'profile.json'), 'utf8'))).toMatchObject({
      format: 'perfwatch-profile',
      detail: 'basic',
    })
  })

  it('resolves perfwatch/http, perfwatch/express and perfwatch/fastify, which work', () => {
    const script = [
      "const http = await import('perfwatch/http')",
      "const { perfwatchExpress } = await import('perfwatch/express')",
      "const { perfwatchFastify } = await import('perfwatch/fastify')",
      "const { PerformanceTracker } = await import('perfwatch')",
      "const express = (await import('express')).default",
      'const tracker = new PerformanceTracker({ storagePath: null })',
      'const records = []',
      'const history = { recordRequest: (r) => records.push(r) }',
      'const app = express()',
      'app.use(perfwatchExpress({ tracker, history }))',
      "app.get('/users/:id', (req, res) => res.send('ok'))",
      "const server = app.listen(0, '127.0.0.1')",
      "await new Promise((r) => server.once('listening', r))",
      "await fetch('http://127.0.0.1:' + server.address().port + '/users/1').then((r) => r.text())",
      'while (records.length === 0) await new Promise((r) => setTimeout(r, 5))',
      'server.close()',
      "const skip = perfwatchFastify[Symbol.for('skip-override')]",
      'console.log(typeof http.perfwatchHandler, records[0].route, skip, tracker.getOperationStats(records[0].route).totalCount)',
    ]
    expect(runScript('web.mjs', script)).toBe('function GET /users/:id true 1')
  })

  it('serves the dashboard page, its files and its API from the installed package', () => {
    const script = [
      "const { createServer } = await import('node:http')",
      "const { createDashboard } = await import('perfwatch/http')",
      "const { PerformanceTracker } = await import('perfwatch')",
      'const tracker = new PerformanceTracker({ storagePath: null })',
      "tracker.record('db.query', 3)",
      'const dashboard = createDashboard({ tracker })',
      "const server = createServer((req, res) => dashboard(req, res) || res.end('app'))",
      "server.listen(0, '127.0.0.1')",
      "await new Promise((r) => server.once('listening', r))",
      "const base = 'http://127.0.0.1:' + server.address().port + '/perfwatch/'",
      'const seen = []',
      "for (const path of ['', 'dashboard.js', 'vendor/uPlot.iife.min.js', 'api/operations']) {",
      '  const response = await fetch(base + path)',
      "  seen.push(response.status + ' ' + response.headers.get('content-type').split(';')[0])",
      '}',
      "const live = await fetch(base + 'api/operations').then((r) => r.json())",
      'server.close()',
      "console.log(seen.join(', '), live.operations[0].operation)",
    ]
    expect(runScript('dashboard.mjs', script)).toBe(
      '200 text/html, 200 text/javascript, 200 text/javascript, 200 application/json db.query',
    )
  })

  it('keeps the history in SQLite through perfwatch/history once better-sqlite3 is installed', () => {
    const script = [
      "const { HistoryStore } = await import('perfwatch/history')",
      "const { perfwatchExpress } = await import('perfwatch/express')",
      "const { PerformanceTracker } = await import('perfwatch')",
      "const express = (await import('express')).default",
      'const tracker = new PerformanceTracker({ storagePath: null })',
      'let history',
      "try { history = new HistoryStore({ path: 'data/history.db' }) } catch (error) { console.log(error.code); process.exit(0) }",
      'const app = express()',
      'app.use(perfwatchExpress({ tracker, history }))',
      "app.get('/users/:id', (req, res) => res.set('x-cache', 'HIT').send('ok'))",
      "const server = app.listen(0, '127.0.0.1')",
      "await new Promise((r) => server.once('listening', r))",
      "for (let id = 0; id < 3; id++) await fetch('http://127.0.0.1:' + server.address().port + '/users/' + id).then((r) => r.text())",
      'server.close()',
      'history.flush()',
      'const { routes, requests, cacheHitRate } = history.overview()',
      'console.log(routes, requests, cacheHitRate, history.storageInfo().rows.minute)',
      'history.close()',
    ]
    // better-sqlite3 is an optional peer: without it, a coded error that says what to install.
    expect(runScript('history.mjs', script)).toBe('PERFWATCH_HISTORY_DRIVER')
    // Installed (this repository's build of it, to spare a second native build from source).
    symlinkSync(
      join(root, 'node_modules/better-sqlite3'),
      join(consumer, 'node_modules/better-sqlite3'),
    )
    expect(node(['history.mjs'], consumer).trim()).toBe('1 3 1 1')
    expect(existsSync(join(consumer, 'data/history.db'))).toBe(true)
  })

  it('exposes the tracker to an OpenTelemetry meter through perfwatch/otel', () => {
    // @opentelemetry/api and sdk-metrics as a user has them: this repository's copies.
    symlinkSync(
      join(root, 'node_modules/@opentelemetry'),
      join(consumer, 'node_modules/@opentelemetry'),
    )
    const script = [
      "const { registerOpenTelemetryMetrics } = await import('perfwatch/otel')",
      "const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics')",
      "const { PerformanceTracker } = await import('perfwatch')",
      'class Reader extends MetricReader { onForceFlush() { return Promise.resolve() } onShutdown() { return Promise.resolve() } }',
      'const reader = new Reader()',
      "const meter = new MeterProvider({ readers: [reader] }).getMeter('e2e')",
      'const tracker = new PerformanceTracker({ storagePath: null })',
      "tracker.record('db.query', 250)",
      'registerOpenTelemetryMetrics(tracker, meter)',
      'const { resourceMetrics } = await reader.collect()',
      "const time = resourceMetrics.scopeMetrics[0].metrics.find((m) => m.descriptor.name === 'perfwatch.operation.time')",
      "console.log(time.dataPoints[0].value, time.dataPoints[0].attributes['perfwatch.operation.name'])",
    ]
    expect(runScript('otel.mjs', script)).toBe('0.25 db.query')
  })

  it("adds the tracker's metrics to a prom-client registry through perfwatch/prom-client", () => {
    // prom-client as a user has it: this repository's copy.
    symlinkSync(join(root, 'node_modules/prom-client'), join(consumer, 'node_modules/prom-client'))
    const script = [
      "const { registerPerfwatchMetrics } = await import('perfwatch/prom-client')",
      "const { Registry } = await import('prom-client')",
      "const { PerformanceTracker } = await import('perfwatch')",
      'const tracker = new PerformanceTracker({ storagePath: null })',
      "tracker.record('db.query', 250)",
      'const registry = new Registry()',
      'registerPerfwatchMetrics(registry, tracker)',
      'const text = await registry.metrics()',
      "console.log(text.split('\\n').find((l) => l.startsWith('perfwatch_operation_duration_seconds_sum')))",
    ]
    expect(runScript('prom.mjs', script)).toBe(
      'perfwatch_operation_duration_seconds_sum{operation="db.query"} 0.25',
    )
  })

  it('loads none of the web modules when perfwatch itself is imported', () => {
    // The import graph of the main entry, followed through every relative import of dist/.
    const dist = join(consumer, 'node_modules/perfwatch/dist')
    const reached = new Set<string>()
    const visit = (file: string) => {
      if (reached.has(file)) return
      reached.add(file)
      const code = readFileSync(join(dist, file), 'utf8')
      for (const [, spec] of code.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        visit(normalize(join(dirname(file), spec ?? '')))
      }
    }
    visit('index.js')
    expect(reached.size).toBeGreaterThan(20)
    expect([...reached].filter((f) => /^(http|integrations)\/|history/.test(f))).toEqual([])
    expect(
      node(
        [
          '-e',
          "import('perfwatch').then(() => console.log(Object.keys(require.cache).some((f) => /[\\\\/](express|fastify|better-sqlite3)[\\\\/]/.test(f))))",
        ],
        consumer,
      ).trim(),
    ).toBe('false')
  })

  it('can be required from CommonJS', () => {
    expect(node(['require.cjs'], consumer).trim()).toBe('5 1')
  })

  describe.each([
    ['TypeScript 5', join('node_modules', 'typescript', 'bin', 'tsc')],
    ['TypeScript 7', join(root, 'node_modules', 'typescript', 'bin', 'tsc')],
  ])('%s, strict, skipLibCheck off', (_compiler, tsc) => {
    it.each(['legacy', 'standard'])(
      'compiles and runs %s decorators',
      { timeout: 60_000 },
      (mode) => {
        node([tsc, '-p', `tsconfig.${mode}.json`], consumer)
        const file = join(tempDir(), 'baselines.json')
        const output = node([`out/${mode}/app.js`, file], consumer)
          .trim()
          .split('\n')
        const result = JSON.parse(output.find((line) => line.includes('totalSamples')) ?? '{}')
        expect(result).toEqual({
          operations: ['orders.find', 'orders.total'],
          totalSamples: 40,
          slowSamples: expect.any(Number),
          find: 10,
        })
        expect(existsSync(file)).toBe(true)
      },
    )
  })
})

describe('npm install from a git URL', () => {
  it('builds on install (prepare) and imports', { timeout: 600_000 }, () => {
    const dir = tempDir()
    const repo = join(dir, 'repo')
    cloneWorkingTree(repo)
    for (const args of [
      ['init', '-q'],
      ['add', '-A'],
      ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'snapshot'],
    ]) {
      execFileSync('git', args, { cwd: repo })
    }
    const project = join(dir, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'p', private: true }))
    npm(['install', `git+file://${repo}`], project)
    const out = node(
      [
        '--input-type=module',
        '-e',
        "import('perfwatch').then((m) => console.log(typeof m.PerformanceTracker))",
      ],
      project,
    )
    expect(out.trim()).toBe('function')
  })
})
