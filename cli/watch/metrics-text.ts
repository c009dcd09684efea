/**
 * Reading what a service answers on /metrics: the Prometheus text exposition format (0.0.4),
 * just enough of it for the dashboard — samples with their labels and values. Comments (HELP,
 * TYPE) are skipped; a line that cannot be read is skipped too, so one odd line never blanks
 * the view.
 */

export interface MetricSample {
  /** The sample's name as exposed, e.g. `http_request_duration_seconds_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  return text.trim() === '' ? NaN : n;
}

/** Reads `{a="x",b="y\"z"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') return undefined;
    const name = line.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\') {
        j++;
        value += line[j] === 'n' ? '\n' : line[j];
      } else {
        value += line[j];
      }
    }
    if (j >= line.length) return undefined;
    labels[name] = value;
    i = j + 1;
  }
}

/**
 * Parses an exposition into samples. `keep` (by sample name) lets a caller drop what it does not
 * need before any label is read — the default metrics of a Node process are most of the text.
 */
export function parseMetricsText(text: string, keep: (name: string) => boolean = () => true): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!keep(name)) continue;
    let labels: Record<string, string> = {};
    let rest: string;
    if (line[nameEnd] === '{') {
      const parsed = parseLabels(line, nameEnd);
      if (!parsed) continue;
      labels = parsed.labels;
      rest = line.slice(parsed.end);
    } else {
      rest = line.slice(nameEnd);
    }
    // The value, then an optional timestamp we do not need.
    const value = parseValue(rest.trim().split(/\s+/)[0] ?? '');
    if (Number.isNaN(value) && !/^\s*NaN/.test(rest)) continue;
    samples.push({ name, labels, value });
  }
  return samples;
}
