/**
 * The report folder of a run: `journal.json` (everything, machine-readable), `report.md` (for
 * people: what was done, the verdict, the figures) and SVG charts with the fault windows shaded.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '../lib/duration.js';
import { lineChart, type Shade } from './charts.js';
import type { Journal } from './runner.js';

const CHARTS = ['throughput.svg', 'latency.svg', 'orders-by-state.svg'] as const;

function shades(journal: Journal): Shade[] {
  const end = journal.run.totalMs / 1000;
  return journal.faults.map((f) => ({ from: f.startMs / 1000, to: (f.endMs ?? journal.healedAtMs ?? journal.run.totalMs) / 1000 || end, label: f.action }));
}

export function charts(journal: Journal): Record<(typeof CHARTS)[number], string> {
  const timeline = journal.load?.timeline ?? [];
  const shaded = shades(journal);
  return {
    'throughput.svg': lineChart({
      title: `${journal.scenario.name}: throughput`,
      yLabel: 'requests per second',
      shades: shaded,
      series: [
        { name: 'accepted', color: '#2a9d8f', points: timeline.map((s) => ({ x: s.second, y: s.ok })) },
        { name: 'errors', color: '#e76f51', points: timeline.map((s) => ({ x: s.second, y: s.errors })) },
        { name: 'dropped', color: '#9d8189', points: timeline.map((s) => ({ x: s.second, y: s.dropped })) },
      ],
    }),
    'latency.svg': lineChart({
      title: `${journal.scenario.name}: POST /api/v1/orders latency`,
      yLabel: 'milliseconds',
      shades: shaded,
      series: [
        { name: 'p50', color: '#264653', points: timeline.map((s) => ({ x: s.second, y: s.p50 })) },
        { name: 'p99', color: '#e9c46a', points: timeline.map((s) => ({ x: s.second, y: s.p99 })) },
        { name: 'max', color: '#e76f51', points: timeline.map((s) => ({ x: s.second, y: s.max })) },
      ],
    }),
    'orders-by-state.svg': lineChart({
      title: `${journal.scenario.name}: orders by state`,
      yLabel: 'orders',
      shades: shaded,
      series: [
        { name: 'pending payment', color: '#f4a261', points: journal.samples.map((s) => ({ x: s.t, y: s.PENDING_PAYMENT })) },
        { name: 'paid', color: '#2a9d8f', points: journal.samples.map((s) => ({ x: s.t, y: s.PAID })) },
        { name: 'cancelled', color: '#e76f51', points: journal.samples.map((s) => ({ x: s.t, y: s.CANCELLED })) },
      ],
    }),
  };
}

function markdown(journal: Journal): string {
  const v = journal.verdict;
  const lines: string[] = [];
  lines.push(`# ${journal.scenario.name} — ${v ? (v.pass ? 'PASS' : 'FAIL') : 'INTERRUPTED'}`, '', journal.scenario.summary, '');
  lines.push(`Run ${journal.run.startedAt}${journal.run.quick ? ' (quick)' : ''}, seed ${journal.run.seed}, ${formatDuration(journal.run.totalMs)} in all.`, '');
  lines.push('## What it teaches', '', ...journal.scenario.learn.map((l) => `- ${l}`), '');
  if (v) {
    lines.push('## Verdict', '', '| expectation | measured | result |', '| --- | --- | --- |');
    for (const row of v.rows) lines.push(`| ${row.expectation} | ${row.measured.replace(/\|/g, '\\|')} | ${row.pass ? 'pass' : '**FAIL**'} |`);
    lines.push('');
    const f = v.figures;
    lines.push('## Figures', '');
    lines.push(`- orders accepted: ${f.accepted} (paid ${f.paid}, cancelled ${f.cancelled}, not terminal ${f.notTerminal.length}, lost ${f.lost.length}, unanswered requests ${f.unknownAnswers})`);
    lines.push(`- created → terminal: p50 ${formatDuration(f.sagaLatencyMs.p50)}, p99 ${formatDuration(f.sagaLatencyMs.p99)}, max ${formatDuration(f.sagaLatencyMs.max)}`);
    if (f.recoveryMs !== undefined) lines.push(`- recovery (heal → backlog terminal): ${formatDuration(f.recoveryMs)}`);
    if (f.availabilityDuringFault !== undefined) lines.push(`- accepted during faults: ${(f.availabilityDuringFault * 100).toFixed(1)} % of ${f.requestsDuringFault}`);
    lines.push(`- dead letters: ${f.deadLetters.total} (poison ${f.deadLetters.poison}, replayed ${f.deadLetters.replayed}, unaccounted ${f.deadLetters.unaccounted.length})`);
    for (const [name, value] of Object.entries(journal.extra)) if (value !== undefined) lines.push(`- ${name}: ${value}`);
    lines.push('');
  }
  if (journal.load) {
    const l = journal.load;
    lines.push('## Load', '');
    lines.push(`- offered ${l.rateOffered}/s, achieved ${l.achievedRate.toFixed(1)}/s; ${l.ok} ok, ${l.errors} errors, ${l.dropped} dropped`);
    lines.push(`- latency: p50 ${formatDuration(l.latencyMs.p50)}, p90 ${formatDuration(l.latencyMs.p90)}, p99 ${formatDuration(l.latencyMs.p99)}, max ${formatDuration(l.latencyMs.max)}`);
    if (Object.keys(l.errorsByStatus).length) lines.push(`- errors by status: ${Object.entries(l.errorsByStatus).map(([s, n]) => `${s} × ${n}`).join(', ')}`);
    lines.push('');
  }
  lines.push('## Timeline', '', '| at | action | result |', '| --- | --- | --- |');
  for (const step of journal.timeline) lines.push(`| ${formatDuration(step.atMs)} | ${step.label} | ${step.ok ? '' : 'failed: '}${step.result.replace(/\|/g, '\\|')} |`);
  lines.push('', '## Charts', '', ...CHARTS.map((c) => `![${c.replace('.svg', '')}](${c})`), '');
  return lines.join('\n');
}

export async function writeReport(journal: Journal, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string> = { 'journal.json': `${JSON.stringify(journal, null, 2)}\n`, 'report.md': markdown(journal), ...charts(journal) };
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  return Object.keys(files).map((name) => join(dir, name));
}
