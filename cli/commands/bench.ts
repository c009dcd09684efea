import { writeFile } from 'node:fs/promises';
import { BENCH_PARTS, runBenchmark, type BenchPart, type BenchResult } from '../bench/bench.js';
import { defineCommand, durationOption, intOption } from '../lib/command.js';
import { formatDuration } from '../lib/duration.js';
import { UsageError } from '../lib/errors.js';
import { color, note, renderTable, say, sayJson } from '../lib/output.js';

const list = (flag: string) => (value: string) => {
  const items = value.split(',').map((v) => v.trim());
  if (items.some((v) => !v)) throw new Error(`${flag} is a comma-separated list`);
  return items;
};

const ms = (n: number | undefined) => (n === undefined ? '—' : n < 10 ? `${n.toFixed(2)} ms` : formatDuration(n));
const mark = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? color.green('✓') : color.red('✗'));
const memory = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

function table(r: BenchResult): string {
  const rows: { part: string; figure: string; measured: string; target: string; ok?: boolean }[] = [];
  if (r.up) {
    rows.push({ part: 'up', figure: 'time until every member is healthy (jars cached)', measured: formatDuration(r.up.ms), target: '< 20 s', ok: r.up.ms < 20_000 });
    rows.push({ part: '', figure: 'memory at rest, MiB', measured: memory(r.up.memoryAtRestMiB), target: '' });
  }
  if (r.latency) {
    const l = r.latency;
    rows.push({ part: `latency at ${l.offered}/s`, figure: 'POST /api/v1/orders p50 / p90 / p99 / max', measured: `${ms(l.postOrdersMs.p50)} / ${ms(l.postOrdersMs.p90)} / ${ms(l.postOrdersMs.p99)} / ${ms(l.postOrdersMs.max)}`, target: 'p99 < 25 ms', ok: l.postOrdersMs.p99 < 25 });
    rows.push({ part: '', figure: 'created → terminal p50 / p99', measured: `${ms(l.createdToTerminalMs.p50)} / ${ms(l.createdToTerminalMs.p99)}`, target: 'p99 < 500 ms', ok: l.createdToTerminalMs.p99 < 500 });
    rows.push({ part: '', figure: 'achieved rate, errors, dropped', measured: `${l.achieved.toFixed(0)}/s, ${l.errors}, ${l.dropped}`, target: 'none', ok: l.errors === 0 && l.dropped === 0 });
    rows.push({ part: '', figure: 'memory under load, MiB', measured: memory(l.memoryUnderLoadMiB), target: '' });
    rows.push({ part: '', figure: `CPU per saga, ms (host ${Math.round(l.cpu.hostBusy * 100)} % busy)`, measured: `${l.cpu.totalMsPerSaga.toFixed(1)} in all: ${Object.entries(l.cpu.msPerSaga).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`, target: '' });
  }
  if (r.sustained) {
    const s = r.sustained;
    rows.push({ part: 'sustained', figure: 'completed sagas per second (highest step passed)', measured: `${s.highestSustainedPerSecond.toFixed(0)}/s at ${s.highestOfferedPassed}/s offered`, target: '≥ 1,000/s', ok: s.highestSustainedPerSecond >= 1000 });
    for (const step of s.steps) rows.push({ part: '', figure: `  offered ${step.offered}/s`, measured: `${step.completedPerSecond.toFixed(0)}/s completed, saga p99 ${ms(step.sagaP99Ms)}, ${step.errors} error${step.errors === 1 ? '' : 's'}, ${step.dropped} dropped`, target: 'p99 ≤ 1 s, no error', ok: step.passed });
  }
  if (r.recovery) {
    const v = r.recovery;
    rows.push({ part: 'recovery', figure: `payment down ${formatDuration(v.outageMs)} at ${v.rate}/s: restart → all terminal`, measured: v.secondsFromRestartToAllTerminal === null ? 'never' : `${v.secondsFromRestartToAllTerminal.toFixed(2)} s (lost ${v.lost}, charged twice ${v.doubleCharged})`, target: '< 10 s', ok: v.secondsFromRestartToAllTerminal !== null && v.secondsFromRestartToAllTerminal < 10 });
  }
  if (r.ceilings) {
    const c = r.ceilings;
    rows.push({ part: 'ceilings', figure: `PostgreSQL, the saga's write mix (${c.postgres.clients} clients)`, measured: `${c.postgres.transactionsPerSecond.toFixed(0)} tx/s = ${c.postgres.sagasPerSecond.toFixed(0)} sagas/s`, target: '' });
    rows.push({ part: '', figure: `Kafka produce, ${c.kafka.recordBytes}-byte records, acks=all`, measured: `${c.kafka.recordsPerSecond.toFixed(0)} records/s (${c.kafka.megabytesPerSecond.toFixed(1)} MB/s)`, target: '' });
    rows.push({ part: '', figure: 'saga rate / PostgreSQL ceiling', measured: c.sagaToPostgresCeiling === null ? '— (run the sustained part)' : c.sagaToPostgresCeiling.toFixed(2), target: '' });
  }
  return renderTable(rows, [
    { header: 'PART', value: (x) => color.bold(x.part) },
    { header: 'FIGURE', value: (x) => x.figure },
    // Memory of every member is a long list: the table keeps to a terminal's width.
    { header: 'MEASURED', value: (x) => x.measured, wrap: 60 },
    { header: 'TARGET', value: (x) => color.dim(x.target) },
    { header: '', value: (x) => mark(x.ok) },
  ]);
}

export default defineCommand({
  name: 'bench',
  description: 'benchmark the saga on a lab of its own against the design targets and the machine’s own ceilings',
  details: 'Boots a fresh native lab on free ports (your own lab is not touched), measures, prints a table, and removes the lab.\nNothing is written unless --out is given.',
  options: [
    { flags: '--parts <list>', description: `what to measure: ${BENCH_PARTS.join(',')}`, parse: list('--parts'), default: [...BENCH_PARTS] },
    { flags: '--step <duration>', description: 'length of each steady step', parse: durationOption('--step'), default: '30s' },
    // The lab's JIT compilers (V8's, the broker's) are at work for about the first half-minute:
    // POST p99 at 200/s measured 24–26 ms after 10 s of warm-up, 13–15 ms after 30 s.
    { flags: '--warmup <duration>', description: 'load before anything is measured (not counted)', parse: durationOption('--warmup', { min: 0 }), default: '30s' },
    { flags: '--latency-rate <n>', description: 'offered orders/s for the latency part', parse: intOption('--latency-rate'), default: 200 },
    { flags: '--rates <list>', description: 'offered orders/s tried in turn for the sustained part', parse: list('--rates'), default: ['50', '100', '200', '300', '400', '500', '600', '700', '800', '1000', '1200'] },
    { flags: '--outage <duration>', description: 'how long payment is down in the recovery part', parse: durationOption('--outage'), default: '20s' },
    { flags: '--recovery-rate <n>', description: 'offered orders/s during the recovery part', parse: intOption('--recovery-rate'), default: 100 },
    { flags: '--ceiling <duration>', description: 'length of each ceiling measurement', parse: durationOption('--ceiling'), default: '10s' },
    { flags: '--quick', description: 'a few seconds per part: proves the benchmark works, measures little' },
    { flags: '--out <file>', description: 'also write the result as JSON to this file' },
    { flags: '--json', description: 'print the result as one JSON object' },
  ],
  examples: ['npm run bench', 'pizza-lab bench --parts latency,sustained --rates 400,800,1200', 'pizza-lab bench --quick --json'],
  async action(_args, opts, context) {
    const parts = opts.parts as string[];
    for (const part of parts) if (!BENCH_PARTS.includes(part as BenchPart)) throw new UsageError(`--parts: unknown part "${part}"`, { hint: `parts: ${BENCH_PARTS.join(', ')}` });
    const rates = (opts.rates as string[]).map((r) => {
      const n = Number(r);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--rates: "${r}" is not a rate`);
      return n;
    });
    const quick = Boolean(opts.quick);
    const result = await runBenchmark({
      parts: parts as BenchPart[],
      stepMs: quick ? 3000 : (opts.step as number),
      warmupMs: quick ? 1000 : (opts.warmup as number),
      latencyRate: quick ? 50 : (opts.latencyRate as number),
      rates: quick ? [50, 100] : rates,
      outageMs: quick ? 4000 : (opts.outage as number),
      recoveryRate: quick ? 20 : (opts.recoveryRate as number),
      ceilingMs: quick ? 2000 : (opts.ceiling as number),
      signal: context.signal,
      onProgress: (message) => note(color.dim(`· ${message}`)),
    });
    if (opts.out) await writeFile(opts.out as string, `${JSON.stringify(result, null, 2)}\n`);
    if (opts.json) sayJson(result);
    else {
      say(`${color.bold('pizza-lab benchmark')} — ${result.machine.cpus} CPUs, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, ${result.machine.platform}${quick ? color.yellow(' (quick: figures are not meaningful)') : ''}`);
      say(table(result));
    }
    return 0;
  },
});
