// The perfwatch dashboard page (docs/http.md#dashboard): reads the JSON API next to it through
// relative URLs, so it works under any prefix, and builds the page with the DOM only. Every text
// from the server is set with textContent, never parsed as markup.
;(() => {
  const REFRESH_MS = 30_000
  const DAYS = ['1', '7', '30', '90', '365']
  const SEVERITIES = ['good', 'warning', 'slow', 'critical']
  const STATES = ['learning', 'ok', 'degraded', 'idle']
  const NO_HISTORY = 'PERFWATCH_NO_HISTORY'

  const state = {
    days: initialDays(),
    routes: [],
    sort: { key: 'p95Ms', isDescending: true },
    chart: null,
    run: 0,
  }

  const byId = (id) => document.getElementById(id)

  function initialDays() {
    const days = new URLSearchParams(location.search).get('days')
    return DAYS.includes(days) ? days : '7'
  }

  // Numbers as perfwatch prints them: the rules of formatLatency, formatPercent, formatCount and
  // formatBytes in src/core/format.ts (the browser test compares the page with them).
  function latency(ms) {
    if (ms === null || ms === undefined) return '–'
    if (!(ms >= 0 && ms < Number.POSITIVE_INFINITY)) return `${ms}ms`
    const us = ms * 1000
    if (us < 0.05) return us === 0 ? '0µs' : '<0.1µs'
    if (us < 9.95) return `${us.toFixed(1)}µs`
    if (us < 999.5) return `${Math.round(us)}µs`
    if (ms < 9.95) return `${ms.toFixed(1)}ms`
    if (ms < 999.5) return `${Math.round(ms)}ms`
    return `${(ms / 1000).toFixed(1)}s`
  }

  function percent(ratio) {
    return ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(1)}%`
  }

  function count(value) {
    const rounded = Math.abs(value) < 10 ? Math.round(value * 10) / 10 : Math.round(value)
    return rounded.toLocaleString('en-US')
  }

  function bytes(size) {
    if (size >= 1024 * 1024) return `${(size / (1024 * 1024)).toFixed(1)}MB`
    if (size >= 1024) return `${Math.round(size / 1024)}KB`
    return `${Math.round(size)}B`
  }

  function time(epochMs) {
    return epochMs === null ? '–' : new Date(epochMs).toLocaleString()
  }

  async function getJson(path) {
    const response = await fetch(path, {
      cache: 'no-store',
      headers: { accept: 'application/json' },
    })
    const body = await response.json().catch(() => null)
    if (!response.ok) {
      const error = new Error(body?.error?.message ?? `HTTP ${response.status}`)
      error.code = body?.error?.code
      throw error
    }
    return body
  }

  // One refresh reads every endpoint; a section whose endpoint failed keeps its last content and
  // the failure is listed at the top. An older refresh that ends after a newer one is dropped.
  async function refresh() {
    const run = ++state.run
    const days = `days=${state.days}`
    const sections = [
      [`api/health-score?${days}`, renderHealth],
      [`api/overview?${days}`, renderOverview],
      [`api/route-trend?${days}`, renderTrend],
      [`api/slow-routes?limit=25&${days}`, renderRoutes],
      [`api/cache-effectiveness?${days}`, renderCache],
      ['api/storage', renderStorage],
      ['api/operations', renderOperations],
    ]
    const results = await Promise.allSettled(sections.map(([path]) => getJson(path)))
    if (run !== state.run) return
    const problems = []
    let hasHistory = true
    results.forEach((result, i) => {
      const [path, render] = sections[i]
      if (result.status === 'rejected') {
        if (result.reason.code === NO_HISTORY) hasHistory = false
        else problems.push(`${path.split('?')[0]}: ${result.reason.message}`)
        return
      }
      try {
        render(result.value)
      } catch (error) {
        problems.push(`${path.split('?')[0]}: ${error.message}`)
      }
    })
    document.body.classList.toggle('no-history', !hasHistory)
    if (!hasHistory) problems.unshift('No history store: only the live operations are shown.')
    showMessages(problems)
    byId('updated').textContent = `Updated ${new Date().toLocaleTimeString()}`
    document.body.dataset.state = 'ready'
  }

  function showMessages(messages) {
    const box = byId('messages')
    box.replaceChildren(
      ...messages.map((message) => {
        const p = document.createElement('p')
        p.textContent = message
        return p
      }),
    )
  }

  // `health` is null while the window has no request; `cacheScore` null without a cache.
  function renderHealth(result) {
    const health = result.health
    const grade = byId('grade')
    grade.textContent = health === null ? '–' : health.grade
    grade.dataset.grade = health === null ? '' : health.grade.charAt(0)
    byId('score').textContent = health === null ? '–' : health.score.toFixed(1)
    const part = (score, weight) =>
      health === null || score === null
        ? 'n/a'
        : `${score.toFixed(0)} (weight ${Math.round(weight * 100)}%)`
    byId('part-latency').textContent = part(health?.latencyScore, health?.weights.latency)
    byId('part-cache').textContent = part(health?.cacheScore, health?.weights.cache)
    byId('part-errors').textContent = part(health?.errorScore, health?.weights.error)
  }

  function renderOverview(overview) {
    byId('card-requests').textContent = count(overview.requests)
    byId('card-average').textContent = latency(overview.averageMs)
    byId('card-p95').textContent = latency(overview.p95Ms)
    byId('card-cache').textContent = percent(overview.cacheHitRate)
    const slowest = overview.slowestRoute
    byId('card-slowest').textContent = slowest === null ? '–' : slowest.route
    byId('card-slowest-p95').textContent = slowest === null ? '' : `P95 ${latency(slowest.p95Ms)}`
  }

  function renderTrend(trend) {
    const points = trend.points
    const box = byId('trend')
    byId('trend-empty').hidden = points.length > 0
    box.hidden = points.length === 0
    const data = [
      points.map((p) => p.hourMs / 1000),
      points.map((p) => p.averageMs),
      points.map((p) => p.p95Ms),
    ]
    if (state.chart !== null) {
      // Its box may have been hidden (no requests) when the chart was made.
      state.chart.setSize({ width: chartWidth(), height: 280 })
      state.chart.setData(data)
      return
    }
    const value = (_chart, ms) => latency(ms)
    state.chart = new uPlot(
      {
        width: chartWidth(),
        height: 280,
        scales: { x: { time: true } },
        series: [
          { label: 'Hour' },
          { label: 'Average', stroke: '#2563eb', width: 2, value },
          { label: 'P95', stroke: '#dc2626', width: 2, dash: [6, 4], value },
        ],
        axes: [{}, { size: 64, values: (_chart, splits) => splits.map((ms) => latency(ms)) }],
        // The legend's marker of a dashed series is dashed too.
        legend: { markers: { dash: (chart, i) => (chart.series[i].dash ? 'dashed' : 'solid') } },
      },
      data,
      box,
    )
  }

  function chartWidth() {
    return Math.max(320, byId('trend').clientWidth)
  }

  // Columns of the slowest-routes table: what each shows, and how it sorts.
  const ROUTE_COLUMNS = [
    ['route', (r) => r.route, 'route'],
    ['requests', (r) => count(r.requests), 'number'],
    ['averageMs', (r) => latency(r.averageMs), 'number'],
    ['p50Ms', (r) => latency(r.p50Ms), 'number'],
    ['p95Ms', (r) => latency(r.p95Ms), 'number'],
    ['p99Ms', (r) => latency(r.p99Ms), 'number'],
    ['errorRate', (r) => percent(r.errorRate), 'number'],
    ['cacheHitRate', (r) => percent(r.cacheHitRate), 'number'],
  ]

  function renderRoutes(slow) {
    state.routes = slow.routes
    drawRoutes()
  }

  function sortValue(route, key) {
    return key === 'severity' ? SEVERITIES.indexOf(route.severity) : route[key]
  }

  function drawRoutes() {
    const { key, isDescending } = state.sort
    const sign = isDescending ? -1 : 1
    const routes = [...state.routes].sort((a, b) => {
      const x = sortValue(a, key)
      const y = sortValue(b, key)
      return x < y ? -sign : x > y ? sign : 0
    })
    const body = document.querySelector('#routes tbody')
    body.replaceChildren(
      ...routes.map((route) => {
        const row = document.createElement('tr')
        for (const [, text, className] of ROUTE_COLUMNS) cell(row, text(route), className)
        cell(row, '').append(badge(route.severity, SEVERITIES))
        return row
      }),
    )
    if (routes.length === 0) body.append(emptyRow(9, 'No requests in this window.'))
    for (const th of document.querySelectorAll('#routes th')) {
      const sorted = th.dataset.key === key
      th.setAttribute('aria-sort', sorted ? (isDescending ? 'descending' : 'ascending') : 'none')
    }
  }

  function sortBy(key) {
    const sort = state.sort
    // A new column starts with its worst first (highest numbers, critical first), names A to Z.
    state.sort =
      sort.key === key
        ? { key, isDescending: !sort.isDescending }
        : { key, isDescending: key !== 'route' }
    drawRoutes()
  }

  function renderCache(cache) {
    const groups = [
      ['effective', cache.effective],
      ['ineffective', cache.ineffective],
      ['none', cache.none],
    ]
    const body = document.querySelector('#cache tbody')
    const rows = []
    for (const [verdict, routes] of groups) {
      for (const route of routes) {
        const row = document.createElement('tr')
        cell(row, route.route, 'route')
        cell(row, count(route.requests), 'number')
        cell(row, count(route.cacheHits), 'number')
        cell(row, percent(route.hitRate), 'number')
        cell(row, '').append(badge(verdict, ['effective', 'ineffective', 'none']))
        rows.push(row)
      }
    }
    body.replaceChildren(...rows)
    if (rows.length === 0) body.append(emptyRow(5, 'No requests in this window.'))
  }

  function renderStorage(storage) {
    const rows = storage.rows
    const facts = [
      ['File', storage.path],
      ['Size', bytes(storage.fileBytes)],
      ['Kept', `${storage.retentionDays} days${storage.keepRaw ? ', with raw requests' : ''}`],
      [
        'Rows',
        `${rows.minute} minute, ${rows.hour} hour, ${rows.day} day, ${rows.week} week, ${rows.raw} raw`,
      ],
      ['From', time(storage.oldestMs)],
      ['To', time(storage.newestMs)],
      ['Waiting to be written', count(storage.pending)],
      ['Dropped', count(storage.dropped)],
    ]
    byId('storage').replaceChildren(
      ...facts.flatMap(([term, value]) => {
        const dt = document.createElement('dt')
        dt.textContent = term
        const dd = document.createElement('dd')
        dd.textContent = value
        return [dt, dd]
      }),
    )
  }

  function renderOperations(live) {
    // Degraded first, then by name (the API lists them by name).
    const operations = [...live.operations].sort(
      (a, b) => (b.state === 'degraded') - (a.state === 'degraded'),
    )
    const body = document.querySelector('#operations tbody')
    body.replaceChildren(
      ...operations.map((op) => {
        const row = document.createElement('tr')
        if (op.state === 'degraded') row.className = 'degraded'
        cell(row, op.operation, 'route')
        const stateCell = cell(row, '')
        stateCell.append(badge(op.state, STATES))
        if (op.degradedSince !== null) stateCell.title = `degraded since ${op.degradedSince}`
        cell(row, count(op.totalCount), 'number')
        cell(row, op.callsPerSecond === null ? '–' : count(op.callsPerSecond), 'number')
        cell(row, percent(op.errorRate), 'number')
        cell(row, latency(op.recent?.p50Ms), 'number')
        cell(row, latency(op.recent?.p95Ms), 'number')
        cell(row, latency(op.recent?.p99Ms), 'number')
        cell(row, latency(op.baseline?.p50Ms), 'number')
        cell(row, latency(op.baseline?.p95Ms), 'number')
        return row
      }),
    )
    if (operations.length === 0) body.append(emptyRow(10, 'No operation recorded yet.'))
    const degraded = live.currentlyDegraded.length
    byId('degraded-count').textContent = degraded > 0 ? `${degraded} degraded` : ''
  }

  function cell(row, text, className) {
    const td = row.insertCell()
    td.textContent = text
    if (className) td.className = className
    return td
  }

  // A badge's class comes from a known list only; its text is the server's value as text.
  function badge(value, known) {
    const span = document.createElement('span')
    span.className = `badge badge-${known.includes(value) ? value : 'unknown'}`
    span.textContent = value
    return span
  }

  function emptyRow(columns, text) {
    const row = document.createElement('tr')
    const td = cell(row, text, 'muted')
    td.colSpan = columns
    return row
  }

  function start() {
    const select = byId('days')
    select.value = state.days
    select.addEventListener('change', () => {
      state.days = select.value
      const url = new URL(location.href)
      url.searchParams.set('days', state.days)
      history.replaceState(null, '', url)
      refresh()
    })
    for (const th of document.querySelectorAll('#routes th')) {
      th.querySelector('button').addEventListener('click', () => sortBy(th.dataset.key))
    }
    window.addEventListener('resize', () => {
      state.chart?.setSize({ width: chartWidth(), height: 280 })
    })
    setInterval(() => {
      if (!document.hidden) refresh()
    }, REFRESH_MS)
    refresh()
  }

  start()
})()
