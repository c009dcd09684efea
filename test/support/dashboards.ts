/**
 * The PromQL of the Grafana dashboards and the alert rules under compose/, and the metric names
 * each reads: checked against the native lab's /metrics (compose-files.test.ts) and run against
 * a compose lab's Prometheus (compose-runtime.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../cli/lib/paths.js';

const composeDir = join(projectRoot, 'compose');

const NOT_METRICS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads (strings, label matchers, ranges, groupings and function names left out). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = stripped[match.index - 1];
    if (before !== undefined && /[\d.]/.test(before)) continue; // 1e3, 5m
    if (stripped.slice(match.index + match[0].length).trimStart().startsWith('(')) continue; // a function
    if (!NOT_METRICS.has(match[0].toLowerCase())) names.push(match[0]);
  }
  return names;
}

export interface Query {
  where: string;
  expr: string;
}

/** Every PromQL expression of the dashboards (panel targets, variable queries) and of the alert rules. */
export function queries(): Query[] {
  const found: Query[] = [];
  const dashboards = join(composeDir, 'grafana', 'dashboards');
  for (const file of readdirSync(dashboards).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(dashboards, file), 'utf8')) as { panels: Panel[]; templating: { list: { name: string; definition?: string }[] } };
    type Panel = { title: string; targets?: { expr: string }[]; panels?: Panel[] };
    const visit = (panel: Panel) => {
      for (const target of panel.targets ?? []) found.push({ where: `${file} · ${panel.title}`, expr: target.expr });
      panel.panels?.forEach(visit);
    };
    dashboard.panels.forEach(visit);
    for (const variable of dashboard.templating.list) {
      const metric = /^label_values\(\s*([^,)]+)/.exec(variable.definition ?? '')?.[1];
      if (metric) found.push({ where: `${file} · variable ${variable.name}`, expr: metric });
    }
  }
  const rules = parse(readFileSync(join(composeDir, 'prometheus', 'alert-rules.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  for (const rule of rules.groups.flatMap((g) => g.rules)) found.push({ where: `alert-rules.yml · ${rule.alert}`, expr: rule.expr });
  return found;
}

/** An expression with Grafana's variables filled in, as Prometheus itself can run it. */
export function filled(expr: string, service = 'order'): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '15m').replaceAll('$service', service);
}
