// Parses Prometheus text exposition with the parser of Prometheus's official Python client
// (Debian's python3-prometheus-client), so the tests read perfwatch's output as a real parser
// does: escapes, types, summary lines. No JavaScript parser on npm reads labelled summaries
// right (parse-prometheus-text-format 1.1.1 drops their labels, _sum and _count).
import { execFileSync } from 'node:child_process'

const PYTHON = process.env.PERFWATCH_PYTHON ?? '/usr/bin/python3'

const SCRIPT = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
families = []
for f in text_string_to_metric_families(sys.stdin.read()):
    families.append({'name': f.name, 'type': f.type, 'help': f.documentation,
        'samples': [{'name': s.name, 'labels': s.labels, 'value': repr(float(s.value))}
                    for s in f.samples]})
print(json.dumps(families))
`

/** One sample as the parser read it. */
export interface ParsedSample {
  name: string
  labels: Record<string, string>
  value: number
}

/** One family: `name` without a counter's `_total` (the parser's convention). */
export interface ParsedFamily {
  name: string
  type: string
  help: string
  samples: ParsedSample[]
}

/** Whether the parser can run here. */
export const hasPrometheusParser = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import prometheus_client.parser'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** The families of `text`; throws what the parser says when it cannot read it. */
export function parsePrometheus(text: string): ParsedFamily[] {
  const out = execFileSync(PYTHON, ['-c', SCRIPT], { input: text, encoding: 'utf8' })
  const families = JSON.parse(out) as Array<
    Omit<ParsedFamily, 'samples'> & {
      samples: Array<Omit<ParsedSample, 'value'> & { value: string }>
    }
  >
  return families.map((f) => ({
    ...f,
    samples: f.samples.map((s) => ({ ...s, value: fromRepr(s.value) })),
  }))
}

function fromRepr(value: string): number {
  if (value === 'nan') return Number.NaN
  if (value === 'inf') return Number.POSITIVE_INFINITY
  if (value === '-inf') return Number.NEGATIVE_INFINITY
  return Number(value)
}

/** The message tests print when they skip for want of the parser. */
export const NO_PARSER_MESSAGE =
  `Skipping the Prometheus parser tests: ${PYTHON} cannot import prometheus_client ` +
  '(apt-get install python3-prometheus-client). With CI set they fail instead.'
