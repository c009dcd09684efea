import { ALL_TOPICS } from '../../services/events/index.js';
import { ALL_CONSUMER_GROUPS } from '../../services/kit/groups.js';
import { actionContext, performAction } from '../experiment/actions.js';
import { createFaultController, describeProvider, describeToxic, PARTITION_SCOPES, PROVIDER_MODES, type FaultController, type PartitionScope, type ProviderMode } from '../faults/controller.js';
import type { Stream, ToxicConfig } from '../faults/types.js';
import { defineCommand, intOption, type CommandSpec, type OptionSpec } from '../lib/command.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { UsageError } from '../lib/errors.js';
import { color, note, renderTable, say, sayJson } from '../lib/output.js';
import { requireStack, type MemberAction } from '../runtime/index.js';

/** What a fault command did, and how to undo exactly that (for --for). */
interface Applied {
  said: string;
  undo?: () => Promise<string>;
  /** The command that undoes just this fault by hand (`pizza-lab fault start payment`), when there is one. */
  undoCommand?: string;
}

const forOption: OptionSpec = { flags: '--for <duration>', description: 'heal this fault by itself after the duration (the command waits; Ctrl-C heals at once)', parse: (v) => parseDuration(v) };

const msOption = (flags: string, description: string, min = 0): OptionSpec => ({ flags, description, parse: intOption(flags.split(' ')[0]!, { min, max: 600_000 }) });

const toxicOptions: OptionSpec[] = [
  { flags: '--stream <direction>', description: 'downstream (answers), upstream (requests) or both', choices: ['downstream', 'upstream', 'both'], default: 'downstream' },
  { flags: '--toxicity <share>', description: 'share of connections affected, 0..1', parse: (v) => probability('--toxicity', v), default: 1 },
  forOption,
];

function probability(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${flag} must be a number from 0 to 1, not "${value}"`);
  return n;
}

/** Applies the fault, then with --for waits and undoes it. */
async function run(opts: Record<string, unknown>, signal: AbortSignal, apply: (faults: FaultController) => Promise<Applied>): Promise<number> {
  const faults = createFaultController(requireStack());
  const applied = await apply(faults);
  say(applied.said);
  const forMs = opts.for as number | undefined;
  if (forMs === undefined || !applied.undo) {
    if (applied.undo) say(color.dim(`it stays until healed: ${applied.undoCommand ? `\`${applied.undoCommand}\`, or ` : ''}\`pizza-lab fault heal\` (every fault)`));
    return 0;
  }
  note(color.dim(`healing in ${formatDuration(forMs)} (Ctrl-C heals now)`));
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, forMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  say(await applied.undo());
  return 0;
}

function memberCommand(action: MemberAction, description: string, undo?: MemberAction): CommandSpec {
  return defineCommand({
    name: action,
    description,
    arguments: [{ name: 'target', description: 'a service (all its instances), an instance like order-2, kafka or postgres', required: true }],
    options: [...(action === 'kill' ? [{ flags: '--signal <signal>', description: 'the signal to send', default: 'SIGKILL' }] : []), ...(undo ? [forOption] : [])],
    examples: [`pizza-lab fault ${action} payment${undo ? ' --for 20s' : ''}`],
    async action([target], opts, context) {
      return run(opts, context.signal, async (faults) => {
        const results = await faults.member(target!, action, { signal: opts.signal as string | undefined });
        return {
          said: results.map((m) => `${m.name}: ${m.state}${m.message ? ` (${m.message})` : ''}`).join('\n'),
          undo: undo
            ? async () => {
                const back = await faults.member(target!, undo);
                return back.map((m) => `${m.name}: ${m.state} again`).join('\n');
              }
            : undefined,
          undoCommand: undo ? `pizza-lab fault ${undo} ${target}` : undefined,
        };
      });
    },
  });
}

function toxicCommand(name: string, description: string, options: OptionSpec[], build: (opts: Record<string, unknown>) => Omit<ToxicConfig, 'stream'>, example: string): CommandSpec {
  return defineCommand({
    name,
    description,
    arguments: [{ name: 'link', description: 'a link, e.g. order-postgres, payment-kafka, payment-provider, gateway-order', required: true }],
    options: [...options, ...toxicOptions],
    examples: [example],
    async action([link], opts, context) {
      return run(opts, context.signal, async (faults) => {
        const streams: Stream[] = opts.stream === 'both' ? ['downstream', 'upstream'] : [opts.stream as Stream];
        const base = build(opts);
        const names: string[] = [];
        for (const stream of streams) {
          const toxic = { ...base, stream, toxicity: opts.toxicity as number, name: `lab_${base.type}_${stream}` } as ToxicConfig;
          await faults.addToxic(link!, toxic);
          names.push(toxic.name!);
        }
        const detail = streams.map((s) => describeToxic(base.type, s, (base.attributes ?? {}) as Record<string, number>, opts.toxicity as number)).join(', ');
        return {
          said: `${link}: ${detail}`,
          undo: async () => {
            for (const toxicName of names) await faults.removeToxic(link!, toxicName);
            return `${link}: ${base.type} removed`;
          },
        };
      });
    },
  });
}

const subcommands: CommandSpec[] = [
  memberCommand('kill', 'kill a service (SIGKILL by default): it stays down until started', 'start'),
  memberCommand('stop', 'stop a service gracefully (SIGTERM): it drains, then stays down', 'start'),
  memberCommand('start', 'start a stopped or killed service'),
  memberCommand('restart', 'stop and start a service'),
  memberCommand('pause', 'freeze a service (SIGSTOP): connections stay open, nothing answers', 'resume'),
  memberCommand('resume', 'unfreeze a paused service (SIGCONT)'),
  defineCommand({
    name: 'partition',
    description: 'cut a service off the network: its links to Kafka, PostgreSQL, the provider, or all (incl. links to it)',
    arguments: [{ name: 'service', description: 'the service to cut off', required: true }],
    options: [{ flags: '--from <dependency>', description: 'what to cut it from', choices: PARTITION_SCOPES, default: 'all' }, forOption],
    examples: ['pizza-lab fault partition payment --from kafka --for 30s', 'pizza-lab fault partition order'],
    async action([service], opts, context) {
      return run(opts, context.signal, async (faults) => {
        const cut = await faults.partition(service!, opts.from as PartitionScope);
        return {
          said: `${service} cut off: ${cut.join(', ')} disabled`,
          undo: async () => {
            for (const link of cut) await faults.setLink(link, true);
            return `${service} reconnected: ${cut.join(', ')} enabled`;
          },
        };
      });
    },
  }),
  toxicCommand('latency', 'delay every chunk on a link', [msOption('--ms <ms>', 'delay in milliseconds (default 500)'), msOption('--jitter <ms>', 'random ± added to each delay')], (o) => ({ type: 'latency', attributes: { latency: (o.ms as number | undefined) ?? 500, jitter: (o.jitter as number | undefined) ?? 0 } }), 'pizza-lab fault latency order-postgres --ms 200 --jitter 50 --for 30s'),
  toxicCommand('jitter', 'random delay on a link (latency ± jitter)', [msOption('--ms <ms>', 'jitter in milliseconds (default 200)'), msOption('--base <ms>', 'the delay the jitter varies around (default: the jitter)')], (o) => ({ type: 'latency', attributes: { latency: (o.base as number | undefined) ?? (o.ms as number | undefined) ?? 200, jitter: (o.ms as number | undefined) ?? 200 } }), 'pizza-lab fault jitter payment-provider --ms 300'),
  toxicCommand('timeout', 'stop all data on a link; close the connection after --ms (0: never)', [msOption('--ms <ms>', 'close after this many ms; 0 keeps it hanging (default 0)')], (o) => ({ type: 'timeout', attributes: { timeout: (o.ms as number | undefined) ?? 0 } }), 'pizza-lab fault timeout payment-provider --ms 0 --for 15s'),
  toxicCommand('bandwidth', 'limit a link to a rate', [{ flags: '--rate <kbps>', description: 'KB per second (default 10)', parse: intOption('--rate', { min: 1 }) }], (o) => ({ type: 'bandwidth', attributes: { rate: (o.rate as number | undefined) ?? 10 } }), 'pizza-lab fault bandwidth order-kafka --rate 5'),
  toxicCommand('reset', 'reset connections on a link (TCP RST) after --after ms', [msOption('--after <ms>', 'reset after this many ms (default 0)')], (o) => ({ type: 'reset_peer', attributes: { timeout: (o.after as number | undefined) ?? 0 } }), 'pizza-lab fault reset payment-kafka --for 10s'),
  defineCommand({
    name: 'provider',
    description: "set the payment provider's behaviour: ok, decline, errors (5xx), slow (charges, then answers late), down",
    options: [
      { flags: '--mode <mode>', description: 'how it behaves', choices: PROVIDER_MODES },
      { flags: '--rate <share>', description: 'for decline and errors: the share of charges affected, 0..1', parse: (v) => probability('--rate', v) },
      msOption('--latency <ms>', 'for slow: how late it answers'),
      forOption,
    ],
    examples: ['pizza-lab fault provider --mode errors --rate 0.5 --for 30s', 'pizza-lab fault provider --mode slow --latency 5000', 'pizza-lab fault provider --mode ok'],
    async action(_args, opts, context) {
      if (!opts.mode) throw new UsageError('fault provider needs --mode', { hint: `one of ${PROVIDER_MODES.join(', ')}` });
      return run(opts, context.signal, async (faults) => {
        const now = await faults.provider({ mode: opts.mode as ProviderMode, rate: opts.rate as number | undefined, latencyMs: opts.latency as number | undefined });
        return {
          said: `payment-provider: ${describeProvider(now)}`,
          undo: now.mode === 'ok' ? undefined : async () => `payment-provider: ${describeProvider(await faults.provider({ mode: 'ok' }))}`,
        };
      });
    },
  }),
  defineCommand({
    name: 'poison',
    description: 'produce malformed records straight to a saga topic: they must reach the DLQ, and the orders behind them complete',
    arguments: [{ name: 'topic', description: 'a saga topic', required: true, choices: ALL_TOPICS }],
    options: [{ flags: '-n, --count <n>', description: 'how many records', parse: intOption('--count', { min: 1, max: 1000 }), default: 1 }],
    examples: ['pizza-lab fault poison order-events --count 3'],
    async action([topic], opts) {
      say(await performAction({ kind: 'poison', topic: topic!, count: opts.count as number }, actionContext(requireStack())));
      return 0;
    },
  }),
  defineCommand({
    name: 'rewind',
    description: "move a service's consumer group back on a topic: events it already handled are delivered again",
    arguments: [{ name: 'group', description: ALL_CONSUMER_GROUPS.join(', '), required: true, choices: ALL_CONSUMER_GROUPS }],
    options: [
      { flags: '--topic <topic>', description: 'the topic to rewind on', choices: ALL_TOPICS },
      { flags: '--by <n>', description: 'records per partition to go back', parse: intOption('--by', { min: 1 }), default: 50 },
    ],
    details: 'The group’s service is stopped while its offsets move (Kafka only moves an idle group), then started again.',
    examples: ['pizza-lab fault rewind payment-service --topic order-events --by 50'],
    async action([group], opts) {
      if (!opts.topic) throw new UsageError('fault rewind needs --topic', { hint: `one of ${ALL_TOPICS.join(', ')}` });
      say(await performAction({ kind: 'rewind', group: group!, topic: opts.topic as string, by: opts.by as number }, actionContext(requireStack())));
      return 0;
    },
  }),
  defineCommand({
    name: 'list',
    description: 'the faults active now: members down or paused, links cut, toxics, provider mode',
    options: [{ flags: '--json', description: 'print {faults: [{kind, target, detail}]}' }],
    examples: ['pizza-lab fault list'],
    async action(_args, opts) {
      const faults = await createFaultController(requireStack()).list();
      if (opts.json) sayJson({ faults });
      else if (faults.length === 0) say('no fault is active');
      else
        say(
          renderTable(faults, [
            { header: 'KIND', value: (f) => f.kind },
            { header: 'TARGET', value: (f) => color.bold(f.target) },
            { header: 'DETAIL', value: (f) => f.detail },
          ]),
        );
      return 0;
    },
  }),
  defineCommand({
    name: 'heal',
    description: 'undo every fault: links enabled, toxics removed, members running, provider ok',
    examples: ['pizza-lab fault heal'],
    async action() {
      const done = await createFaultController(requireStack()).heal();
      for (const line of done) say(`${color.green('✓')} ${line}`);
      return 0;
    },
  }),
];

export default defineCommand({
  name: 'fault',
  description: 'inject a fault by hand (kill, pause, partition, latency, provider errors…) or heal them all',
  details: 'Links are the network paths through the fault proxy: <service>-kafka, <service>-postgres, payment-provider, gateway-order, gateway-frontend, order-frontend.',
  examples: ['pizza-lab fault kill payment --for 20s', 'pizza-lab fault partition payment --from kafka', 'pizza-lab fault latency order-postgres --ms 200', 'pizza-lab fault list', 'pizza-lab fault heal'],
  subcommands,
});
