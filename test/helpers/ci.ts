/**
 * Whether the tests that need a system tool (Chromium, Prometheus, promtool, the Prometheus
 * parser) run here: when it is installed, and always under CI (`.ci/run` sets `CI`), where a
 * missing tool fails them instead of letting CI pass by skipping. Says why when they skip.
 */
export function runsHere(isInstalled: boolean, skipMessage: string): boolean {
  const isCI = (process.env.CI ?? '') !== ''
  if (!isInstalled && !isCI) console.warn(skipMessage)
  return isInstalled || isCI
}
