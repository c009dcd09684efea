import { join } from 'node:path';
import { findScenario, SCENARIOS, type Expectation } from '../../scenarios/index.js';
import { writeReport } from '../experiment/report.js';
import { QUICK_FACTOR, runScenario, type RunEvent } from '../experiment/runner.js';
import { describeSettleState } from '../experiment/settle.js';
import { defineCommand, intOption } from '../lib/command.js';
import { formatDuration } from '../lib/duration.js';
import { LabError, UsageError } from '../lib/errors.js';
import { color, note, renderTable, say, sayJson, statusLine } from '../lib/output.js';
import { requireStack } from '../runtime/index.js';

const names = () => SCENARIOS.map((s) => s.name).join(', ');

function describeExpectation(e: Expectation): string {
  switch (e.kind) {
    case 'all-terminal':
    case 'recovered-within':
      return `${e.kind} ${e.within}`;
    case 'latency':
      return `p${e.percentile} < ${e.below}`;
    case 'availability-during-fault':
      return `availability ≥ ${e.atLeast * 100}% during the fault`;
    case 'dead-letters':
      return `≥ ${e.atLeast} dead letters`;
    case 'fails-fast':
      return `fails fast with ${e.status} within ${e.within}`;
    case 'shed-load':
      return `sheds load with ${e.statuses.join('/')}`;
    default:
      return e.kind;
  }
}

function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Prints the run as it happens: actions as lines, a status line rewritten in place on a terminal. */
function liveView(json: boolean) {
  const live = process.stderr.isTTY && !json;
  let lastPrinted = 0;
  const status = statusLine();
  const clear = () => status.clear();
  const onEvent = (event: RunEvent) => {
    if (json) return;
    if (event.type === 'phase') {
      clear();
      note(color.dim(`· ${event.message}`));
    } else if (event.type === 'action') {
      clear();
      note(`${color.dim(`+${(event.atMs / 1000).toFixed(1).padStart(5)} s`)}  ${event.ok ? color.yellow('⚡') : color.red('✗')} ${color.bold(event.label)} ${color.dim(`— ${event.result}`)}`);
    } else if (event.type === 'tick') {
      const o = event.orders;
      const l = event.load;
      const line = `${(event.elapsedMs / 1000).toFixed(0).padStart(3)}/${(event.totalMs / 1000).toFixed(0)} s  faults: ${event.faults.length ? color.red(event.faults.join(', ')) : color.green('none')}  orders: ${color.yellow(`${o.PENDING_PAYMENT} pending`)} ${color.green(`${o.PAID} paid`)} ${color.dim(`${o.CANCELLED} cancelled`)}${l ? `  POST p99 ${l.p99.toFixed(0)} ms  errors ${l.errors}  dropped ${l.dropped}` : ''}`;
      if (live) status.show(line.slice(0, (process.stderr.columns ?? 120) + 40));
      else if (event.elapsedMs - lastPrinted >= 5000) {
        lastPrinted = event.elapsedMs;
        note(line);
      }
    } else if (event.type === 'settle' && live) {
      status.show(`  settling: ${describeSettleState(event.state)}`);
    }
  };
  return { onEvent, clear };
}

const list = defineCommand({
  name: 'list',
  description: 'the scenario library',
  options: [{ flags: '--json', description: 'print the scenarios as JSON' }],
  examples: ['pizza-lab scenario list'],
  async action(_args, opts) {
    if (opts.json) {
      sayJson(SCENARIOS.map((s) => ({ name: s.name, summary: s.summary, learn: s.learn, requires: s.requires ?? {}, load: s.load, timeline: s.timeline, expect: s.expect })));
      return 0;
    }
    say(renderTable(SCENARIOS, [{ header: 'SCENARIO', value: (s) => color.bold(s.name) }, { header: 'WHAT HAPPENS', value: (s) => s.summary }]));
    say(color.dim('\nrun one: pizza-lab scenario <name> [--quick]; read about one: pizza-lab scenario describe <name>'));
    return 0;
  },
});

const describe = defineCommand({
  name: 'describe',
  description: 'what a scenario does, teaches and expects',
  arguments: [{ name: 'name', description: 'a scenario', required: true }],
  examples: ['pizza-lab scenario describe payment-outage'],
  async action([name]) {
    const s = findScenario(name!);
    if (!s) throw new UsageError(`no scenario named "${name}"`, { hint: `scenarios: ${names()}` });
    say(`${color.bold(s.name)} — ${s.summary}\n`);
    say(color.bold('What it teaches'));
    for (const l of s.learn) say(`  • ${l}`);
    say(`\n${color.bold('Load')}  ${s.load.steps ? `ramp ${s.load.steps.map((st) => `${st.rate}/s@${st.at}`).join(' → ')}` : `${s.load.rate} orders/s`} for ${s.load.duration}${s.load.declineShare ? ` (${s.load.declineShare * 100}% declined on purpose)` : ''}`);
    if (s.requires) say(`${color.bold('Needs')}  ${[...Object.entries(s.requires.scale ?? {}).map(([svc, n]) => `${n} ${svc} instances (up --scale ${svc}=${n})`), ...(s.requires.brokers ? [`${s.requires.brokers} brokers (up --brokers ${s.requires.brokers})`] : [])].join(', ')}`);
    say(`\n${color.bold('Timeline')}`);
    for (const step of s.timeline) say(`  at ${step.at.padEnd(6)} ${step.action.kind === 'member' ? `${step.action.action} ${step.action.target}` : JSON.stringify(step.action)}`);
    if (s.timeline.length === 0) say('  (no fault)');
    if (s.rollback?.length) say(`  then, after healing: ${s.rollback.map((a) => a.kind).join(', ')}`);
    say(`\n${color.bold('Expects')}`);
    for (const e of s.expect) say(`  ✓ ${describeExpectation(e)}`);
    say(color.dim(`\n--quick runs every step at ${QUICK_FACTOR * 100}% of these times.`));
    return 0;
  },
});

export default defineCommand({
  name: 'scenario',
  description: 'run a scripted failure experiment: load + faults, then a verdict on what was lost or done twice',
  arguments: [{ name: 'name', description: 'the scenario to run (see `scenario list`)' }],
  options: [
    { flags: '--quick', description: `every time shortened to ${QUICK_FACTOR * 100}% (same steps), for tests and CI` },
    { flags: '--seed <n>', description: 'seed for random fault times and orders (reproducible runs)', parse: intOption('--seed', { min: 0 }) },
    { flags: '--report <dir>', description: 'where to write journal.json, report.md and the charts (default reports/<name>-<time>)' },
    { flags: '--json', description: 'print the journal (without the ledger) as JSON' },
  ],
  examples: ['pizza-lab scenario list', 'pizza-lab scenario describe payment-outage', 'pizza-lab scenario payment-outage', 'pizza-lab scenario partition --quick --seed 7 --report /tmp/partition'],
  subcommands: [list, describe],
  async action([name], opts, context) {
    if (!name) throw new UsageError('which scenario?', { hint: `pizza-lab scenario <name>; scenarios: ${names()}` });
    const scenario = findScenario(name);
    if (!scenario) throw new UsageError(`no scenario named "${name}"`, { hint: `scenarios: ${names()}` });
    const stack = requireStack();
    const reportDir = (opts.report as string | undefined) ?? join('reports', `${scenario.name}-${stamp()}`);
    const json = Boolean(opts.json);
    if (!json) note(`${color.bold(scenario.name)} — ${scenario.summary}${opts.quick ? color.dim(' (quick)') : ''}`);
    const view = liveView(json);
    const journal = await runScenario({ stack, scenario, quick: Boolean(opts.quick), seed: opts.seed as number | undefined, signal: context.signal, onEvent: view.onEvent });
    view.clear();
    if (journal.run.interrupted) throw new LabError('interrupted — every fault was healed', { exitCode: 130 });
    const files = await writeReport(journal, reportDir);
    const verdict = journal.verdict!;
    if (json) {
      const { ledger: _ledger, ...rest } = journal;
      sayJson({ ...rest, reportDir, files });
    } else {
      say('');
      say(
        renderTable(verdict.rows, [
          { header: 'EXPECTATION', value: (r) => r.expectation, wrap: 56 },
          { header: 'MEASURED', value: (r) => r.measured, wrap: 64 },
          { header: 'RESULT', value: (r) => (r.pass ? color.green('pass') : color.red.bold('FAIL')) },
        ]),
      );
      say('');
      say(`${verdict.pass ? color.green.bold('PASS') : color.red.bold('FAIL')} ${scenario.name} in ${formatDuration(journal.run.totalMs)} — report: ${join(reportDir, 'report.md')}`);
    }
    return verdict.pass ? 0 : 1;
  },
});
