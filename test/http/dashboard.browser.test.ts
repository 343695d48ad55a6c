// The dashboard page in a real Chromium (playwright-core driving the system's browser): what a
// user sees is what the API answers. Skipped without Chromium, except under CI, where it fails.
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:http'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatCount, formatLatency, formatPercent } from '../../src/core/format.js'
import type {
  CacheEffectiveness,
  HistoryHealth,
  HistoryOverview,
  RouteSummary,
  StorageInfo,
  TrendPoint,
} from '../../src/core/history.js'
import { createDashboard } from '../../src/http/node.js'
import { runsHere } from '../helpers/ci.js'
import { DAY_MS, dashboardService, SCRIPT_ROUTE, typicalTraffic } from '../helpers/dashboard.js'
import { listen } from '../helpers/http.js'

const CHROMIUM = process.env.PERFWATCH_CHROMIUM ?? '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)
/** Screenshots of each test's page, kept after the run (reports/ is ignored by git). */
const SCREENSHOTS = 'reports/dashboard'

const isRun = runsHere(
  hasChromium,
  `Skipping the dashboard's browser tests: no Chromium at ${CHROMIUM} (install chromium or ` +
    'set PERFWATCH_CHROMIUM to its path). With CI set they fail instead.',
)

// The few DOM globals the functions run in the page use (tsconfig has no DOM library: src/
// runs in Node); Playwright runs these functions in the browser, where they exist.
declare function getComputedStyle(element: unknown): { borderStyle: string }
interface Canvas {
  width: number
  height: number
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray }
  }
}

/** What the page said on its console, its uncaught errors, and the dialogs it opened. */
interface Watched {
  errors: string[]
  dialogs: string[]
}

describe.runIf(isRun)('the dashboard page in Chromium', () => {
  let browser: Browser
  let watched: Watched

  beforeEach(async () => {
    if (!hasChromium) {
      throw new Error(
        `CI is set and Chromium is missing at ${CHROMIUM}: the browser tests must run in CI`,
      )
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    })
    watched = { errors: [], dialogs: [] }
  })

  afterEach(async () => {
    await browser?.close()
  })

  /** A new page that records console errors, page errors and dialogs (dismissed). */
  async function openPage(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        watched.errors.push(message.text())
      }
    })
    page.on('pageerror', (error) => watched.errors.push(error.message))
    page.on('dialog', (dialog) => {
      watched.dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await page.goto(url)
    await page.waitForSelector('body[data-state="ready"]')
    return page
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true })
  }

  const text = async (page: Page, selector: string) =>
    (await page.locator(selector).textContent()) ?? ''
  const api = async <T>(url: string): Promise<T> => (await fetch(url)).json() as Promise<T>

  it('shows the grade, its parts and the cards with the numbers the API answers', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const page = await openPage(`${service.url}/perfwatch/`)
      await screenshot(page, 'overview')
      const { health } = await api<HistoryHealth>(`${service.url}/perfwatch/api/health-score`)
      const overview = await api<HistoryOverview>(`${service.url}/perfwatch/api/overview`)
      if (health === null || overview.slowestRoute === null) throw new Error('no traffic')
      expect(await text(page, '#grade')).toBe(health.grade)
      expect(await text(page, '#score')).toBe(health.score.toFixed(1))
      expect(await text(page, '#part-latency')).toBe(
        `${health.latencyScore.toFixed(0)} (weight ${Math.round(health.weights.latency * 100)}%)`,
      )
      expect(await text(page, '#part-errors')).toBe(
        `${health.errorScore.toFixed(0)} (weight ${Math.round(health.weights.error * 100)}%)`,
      )
      expect(await text(page, '#card-requests')).toBe(formatCount(overview.requests))
      expect(await text(page, '#card-average')).toBe(
        formatLatency(overview.averageMs ?? Number.NaN),
      )
      expect(await text(page, '#card-p95')).toBe(formatLatency(overview.p95Ms ?? Number.NaN))
      expect(await text(page, '#card-cache')).toBe(
        formatPercent(overview.cacheHitRate ?? Number.NaN),
      )
      expect(await text(page, '#card-slowest')).toBe('GET /export')
      expect(await text(page, '#card-slowest-p95')).toBe(
        `P95 ${formatLatency(overview.slowestRoute.p95Ms)}`,
      )
      expect(await text(page, '#messages')).toBe('')
      expect(watched).toEqual({ errors: [], dialogs: [] })
    } finally {
      await service.close()
    }
  })

  it('draws the hourly trend: average solid, P95 dashed, values in the legend under the cursor', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const page = await openPage(`${service.url}/perfwatch/`)
      const { points } = await api<{ points: TrendPoint[] }>(
        `${service.url}/perfwatch/api/route-trend`,
      )
      expect(points).toHaveLength(2)
      const legend = page.locator('#trend .u-legend .u-series')
      expect(await legend.count()).toBe(3) // the hour, then one per series
      expect(await legend.locator('.u-label').allTextContents()).toEqual(['Hour', 'Average', 'P95'])
      const markers = await legend
        .locator('.u-marker')
        .evaluateAll((all) => all.slice(1).map((m) => getComputedStyle(m).borderStyle))
      expect(markers).toEqual(['solid', 'dashed'])
      // The canvas holds the drawn lines: pixels of both series' colours.
      const colours = await page.locator('#trend canvas').evaluate((element) => {
        const canvas = element as unknown as Canvas
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height)
        let blue = 0
        let red = 0
        for (let i = 0; i < data.length; i += 4) {
          const [r = 0, g = 0, b = 0, a = 0] = [data[i], data[i + 1], data[i + 2], data[i + 3]]
          if (a > 200 && b > 200 && r < 80 && g < 140) blue++
          if (a > 200 && r > 200 && g < 80 && b < 80) red++
        }
        return { blue, red }
      })
      expect(colours.blue).toBeGreaterThan(50)
      expect(colours.red).toBeGreaterThan(20)
      // Under the cursor at the right edge, the legend shows the last hour's values.
      const over = await page.locator('#trend .u-over').boundingBox()
      if (over === null) throw new Error('no plot area')
      await page.mouse.move(over.x + over.width - 1, over.y + over.height / 2)
      const last = points[1] as TrendPoint
      await expect
        .poll(() => legend.locator('.u-value').allTextContents())
        .toEqual([expect.any(String), formatLatency(last.averageMs), formatLatency(last.p95Ms)])
      await screenshot(page, 'trend-hover')
      expect(watched).toEqual({ errors: [], dialogs: [] })
    } finally {
      await service.close()
    }
  })

  it('lists the slowest routes by P95 with severity badges, and re-sorts on a header click', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const page = await openPage(`${service.url}/perfwatch/`)
      const { routes } = await api<{ routes: RouteSummary[] }>(
        `${service.url}/perfwatch/api/slow-routes?limit=25`,
      )
      const shown = () => page.locator('#routes tbody td:first-child').allTextContents()
      expect(await shown()).toEqual(routes.map((r: { route: string }) => r.route))
      expect(await page.locator('#routes tbody .badge').allTextContents()).toEqual(
        routes.map((r) => r.severity),
      )
      expect(await page.locator('#routes tbody .badge-critical').count()).toBe(1)
      expect(await page.locator('#routes th[data-key="p95Ms"]').getAttribute('aria-sort')).toBe(
        'descending',
      )
      const byRequests = [...routes].sort((a, b) => b.requests - a.requests)
      await page.locator('#routes th[data-key="requests"] button').click()
      expect(await page.locator('#routes tbody td:nth-child(2)').allTextContents()).toEqual(
        byRequests.map((r) => String(r.requests)),
      )
      expect(await page.locator('#routes th[data-key="requests"]').getAttribute('aria-sort')).toBe(
        'descending',
      )
      expect(await page.locator('#routes th[data-key="p95Ms"]').getAttribute('aria-sort')).toBe(
        'none',
      )
      await page.locator('#routes th[data-key="route"] button').click()
      const names = routes.map((r) => r.route)
      expect(await shown()).toEqual([...names].sort())
      await page.locator('#routes th[data-key="route"] button').click()
      expect(await shown()).toEqual([...names].sort().reverse())
      await page.locator('#routes th[data-key="p95Ms"] button').click()
      expect(await shown()).toEqual(names)
      await screenshot(page, 'routes')
      expect(watched).toEqual({ errors: [], dialogs: [] })
    } finally {
      await service.close()
    }
  })

  it('shows a route named <script>alert(1)</script> as text, and runs nothing', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const page = await openPage(`${service.url}/perfwatch/`)
      for (const table of ['#routes', '#cache', '#operations']) {
        const cells = page.locator(`${table} tbody td:first-child`)
        expect(await cells.allTextContents(), table).toContain(SCRIPT_ROUTE)
      }
      expect(await page.locator('main script').count()).toBe(0)
      expect(watched).toEqual({ errors: [], dialogs: [] })
    } finally {
      await service.close()
    }
  })

  it('shows cache effectiveness, storage and live operations, the degraded ones first and marked', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      const { tracker, clock } = service
      for (let i = 0; i < 1600; i++) {
        clock.advance(5)
        tracker.record('db.query', i < 1200 ? 10 + (i % 7) : 200 + (i % 7))
      }
      expect(tracker.getOperationStats('db.query')?.state).toBe('degraded')
      const page = await openPage(`${service.url}/perfwatch/`)
      const first = page.locator('#operations tbody tr').first()
      expect(await first.getAttribute('class')).toBe('degraded')
      expect(await first.locator('td').first().textContent()).toBe('db.query')
      expect(await first.locator('.badge').textContent()).toBe('degraded')
      expect(await page.locator('#operations tbody tr.degraded').count()).toBe(1)
      expect(await text(page, '#degraded-count')).toBe('1 degraded')
      const cache = await api<CacheEffectiveness>(
        `${service.url}/perfwatch/api/cache-effectiveness`,
      )
      expect(await page.locator('#cache tbody tr').count()).toBe(
        cache.effective.length + cache.ineffective.length + cache.none.length,
      )
      expect(await page.locator('#cache tbody tr').first().textContent()).toContain('GET /cached')
      const storage = await api<StorageInfo>(`${service.url}/perfwatch/api/storage`)
      expect(await text(page, '#storage')).toContain(storage.path)
      await screenshot(page, 'operations')
      expect(watched).toEqual({ errors: [], dialogs: [] })
    } finally {
      await service.close()
    }
  })

  it('reads the window from the days selector, and refreshes every 30 s', async () => {
    const service = await dashboardService()
    try {
      await typicalTraffic(service)
      service.clock.advance(3 * DAY_MS)
      await service.traffic(['/users/1'])
      const page = await browser.newPage()
      page.on('pageerror', (error) => watched.errors.push(error.message))
      await page.clock.install()
      await page.goto(`${service.url}/perfwatch/`)
      await page.waitForSelector('body[data-state="ready"]')
      expect(await text(page, '#card-requests')).toBe('29')
      await page.locator('#days').selectOption('1')
      await expect.poll(() => text(page, '#card-requests')).toBe('1')
      expect(new URL(page.url()).searchParams.get('days')).toBe('1')
      await service.traffic(['/users/1', '/search'])
      await page.clock.fastForward(30_000)
      await expect.poll(() => text(page, '#card-requests')).toBe('3')
      await page.reload()
      await page.waitForSelector('body[data-state="ready"]')
      expect(await page.locator('#days').inputValue()).toBe('1')
      expect(watched.errors).toEqual([])
    } finally {
      await service.close()
    }
  })

  it('without a history store, shows the live operations and says why the rest is missing', async () => {
    const service = await dashboardService()
    try {
      await service.traffic(['/users/1'])
      const dashboard = createDashboard({ tracker: service.tracker })
      const server = await listen(createServer((req, res) => dashboard(req, res) || res.end()))
      try {
        const page = await openPage(`${server.url}/perfwatch/`)
        expect(await text(page, '#messages')).toBe(
          'No history store: only the live operations are shown.',
        )
        expect(await page.locator('#health').isVisible()).toBe(false)
        expect(await page.locator('#operations tbody td').first().textContent()).toBe(
          'GET /users/:id',
        )
        await screenshot(page, 'no-history')
        // The browser reports each 404 of the history endpoints; nothing else went wrong.
        expect(watched.errors.filter((e) => !e.includes('404 (Not Found)'))).toEqual([])
      } finally {
        await server.close()
      }
    } finally {
      await service.close()
    }
  })
})
