/**
 * How a load reads to a person: one live line while it runs, and a summary afterwards laid out
 * like k6's (a dotted label column, then the figures).
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { LedgerOutcome } from './ledger.js';
import type { LoadSnapshot } from './open-model.js';
import type { LoadResult } from './index.js';

const plain = new Chalk({ level: 0 });

/** 0.8 ms → "812µs", 4.25 → "4.25ms", 1250 → "1.25s": three significant figures, k6's units. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

const perSecond = (rate: number) => `${Number.isInteger(rate) ? rate : rate.toFixed(1)}/s`;
const seconds = (ms: number) => `${Math.floor(ms / 1000)}s`;
const runTime = (ms: number) => `${ms % 1000 === 0 ? ms / 1000 : (ms / 1000).toFixed(1)}s`;

/** The line rewritten in place while a load runs. */
export function formatLiveLine(s: LoadSnapshot, c: ChalkInstance = plain): string {
  const when = c.bold(`${seconds(s.elapsedMs).padStart(seconds(s.durationMs).length)}/${seconds(s.durationMs)}`);
  const rate = s.draining ? c.dim('waiting for the last answers') : `target ${perSecond(s.targetRate)}`;
  return [
    when,
    rate,
    `achieved ${perSecond(s.achievedRate)}`,
    `ok ${c.green(s.ok)}`,
    `errors ${s.errors > 0 ? c.red(s.errors) : s.errors}`,
    `dropped ${s.dropped > 0 ? c.yellow(s.dropped) : s.dropped}`,
    `p99 ${s.p99 > 0 ? formatMs(s.p99) : '—'}`,
    `in flight ${s.inFlight}`,
  ].join('  ');
}

export interface SummaryContext {
  /** `POST /api/v1/orders`. */
  target: string;
  gateway: string;
  maxInFlight: number;
  ledger?: { path: string; outcomes: Record<LedgerOutcome, number> };
}

/** The summary printed after a load. */
export function formatLoadSummary(result: LoadResult, context: SummaryContext, c: ChalkInstance = plain): string {
  const row = (label: string, value: string) => `  ${label} ${c.dim('.'.repeat(Math.max(2, 16 - label.length)))}: ${value}`;
  const l = result.latencyMs;
  const errors = Object.entries(result.errorsByStatus).sort((a, b) => b[1] - a[1]);
  const share = result.rateOffered > 0 ? ` (${((100 * result.achievedRate) / result.rateOffered).toFixed(1)} %)` : '';
  const lines = [
    '',
    row('load', `${context.target} on ${context.gateway}, ${perSecond(result.rateOffered)} for ${runTime(result.durationMs)}${result.interrupted ? c.yellow(' (stopped early)') : ''}`),
    row(
      'requests',
      [`${result.scheduled} scheduled`, `${result.sent} sent`, `${c.green(result.ok)} ok`, `${result.errors > 0 ? c.red(result.errors) : 0} errors`, `${result.dropped > 0 ? c.yellow(result.dropped) : 0} dropped`].join('   '),
    ),
    row('achieved', `${perSecond(result.achievedRate)} answered of ${perSecond(result.rateOffered)} asked${share}`),
    row(
      'latency',
      result.sent === 0
        ? 'no requests were sent'
        : `min=${formatMs(l.min)}  avg=${formatMs(l.mean)}  p50=${formatMs(l.p50)}  p90=${formatMs(l.p90)}  p95=${formatMs(l.p95)}  p99=${c.bold(formatMs(l.p99))}  max=${formatMs(l.max)}`,
    ),
    row('errors', errors.length === 0 ? 'none' : c.red(errors.map(([status, count]) => `${status} ×${count}`).join('   '))),
    row('dropped', result.dropped === 0 ? `none (at most ${context.maxInFlight} in flight)` : c.yellow(`${result.dropped}: ${context.maxInFlight} requests were already in flight when they were due`)),
  ];
  if (context.ledger) {
    const o = context.ledger.outcomes;
    lines.push(row('ledger', `${context.ledger.path} (${o.accepted} accepted, ${o.rejected} rejected, ${o.unknown} unknown)`));
  }
  return lines.join('\n');
}
