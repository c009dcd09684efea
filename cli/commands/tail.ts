/**
 * `pizza-lab tail events`: the saga as it happens, one line per event from every saga topic.
 * On a terminal the lines scroll above a live footer (counts per type, events/s); piped or with
 * --json it is one line per event and nothing else, written as each event arrives.
 */
import { ALL_TOPICS, EVENT_TYPES } from '../../services/events/index.js';
import { defineCommand, intOption } from '../lib/command.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { LabError, UsageError, messageOf } from '../lib/errors.js';
import { color, note, say } from '../lib/output.js';
import { requireStack } from '../runtime/index.js';
import { loadViews } from '../ui/load.js';
import { createEventFeed, createEventFilter, createHistoryOrder, formatRecord, MIN_ORDER_PREFIX, openEventStream, parseOrderPrefix, recordJson, type EventStream, type StartFrom, type WatchedRecord } from '../watch/index.js';

/** Where reading starts, and how the footer says it. */
function startingPoint(opts: Record<string, unknown>): { from: StartFrom; says: string } {
  const since = opts.since as number | undefined;
  if (opts.fromBeginning && since !== undefined) throw new UsageError('--from-beginning and --since both say where to start', { hint: 'use one of them' });
  if (opts.fromBeginning) return { from: { kind: 'beginning' }, says: 'from the beginning' };
  if (since !== undefined) return { from: { kind: 'time', at: Date.now() - since }, says: `since ${formatDuration(since)} ago` };
  return { from: { kind: 'latest' }, says: 'new events' };
}

const events = defineCommand({
  name: 'events',
  description: 'print every saga event as it reaches Kafka: time, topic, type, order, the data that matters — coloured by saga step',
  details: [
    'Reads every saga topic in a consumer group of its own that commits nothing, so watching never disturbs the services.',
    'A record that is not a valid saga event is shown as NOT AN EVENT (with --json: "type": null and "invalid"), and the tail goes on.',
    'On a terminal, a footer counts events per type and the rate; piped or with --json, one line per event and nothing else.',
    '--type also shows invalid records that claim that type; --order also shows invalid records whose key is that order.',
  ].join('\n'),
  options: [
    { flags: '-o, --order <id>', description: `only this order: its id, or its first ${MIN_ORDER_PREFIX} or more characters`, parse: (v) => parseOrderPrefix(v) },
    { flags: '-t, --type <type...>', description: 'only these event types (repeatable)', choices: EVENT_TYPES },
    { flags: '--topic <topic...>', description: 'only these topics (repeatable)', choices: ALL_TOPICS },
    { flags: '--from-beginning', description: 'start with the oldest record still on each topic' },
    { flags: '--since <duration>', description: 'start with the records of the last 30s, 5m, 1h…', parse: (v) => parseDuration(v) },
    { flags: '--json', description: 'one JSON object per line: {time, topic, partition, offset, key, type, orderId, id, headers, data}' },
    { flags: '-n, --limit <n>', description: 'stop after this many events (exit 0)', parse: intOption('--limit', { min: 1 }) },
  ],
  examples: [
    'pizza-lab tail events',
    'pizza-lab tail events --order 3f2a9c1e',
    'pizza-lab tail events --type PaymentFailed OrderCancelled --since 10m',
    'pizza-lab tail events --json --from-beginning | jq -c "select(.type == null)"     # poison records',
  ],
  async action(_args, opts, context) {
    const stack = requireStack();
    const { from, says } = startingPoint(opts);
    const order = opts.order as string | undefined;
    const types = opts.type as string[] | undefined;
    const topics = opts.topic as string[] | undefined;
    const limit = opts.limit as number | undefined;
    const json = Boolean(opts.json);
    const live = !json && process.stdout.isTTY === true;
    const matches = createEventFilter({ order, types, topics });

    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    if (context.signal.aborted) finish();
    context.signal.addEventListener('abort', () => finish(), { once: true });
    // A reader that went away (`| head`: EPIPE, then a destroyed stream) ends the tail like Ctrl-C does.
    const onStdoutError = () => finish();
    process.stdout.on('error', onStdoutError);

    const feed = createEventFeed();
    const print = (record: WatchedRecord) => say(json ? JSON.stringify(recordJson(record)) : formatRecord(record, { color }));
    let shown = 0;
    const show = (record: WatchedRecord) => {
      if (limit !== undefined && shown >= limit) return;
      shown++;
      if (live) feed.push(record);
      else print(record);
      if (limit !== undefined && shown >= limit) finish();
    };
    // History comes topic by topic: it is shown in time order once read, then events as they come.
    const inOrder = createHistoryOrder({ history: from.kind !== 'latest', emit: show });
    const onRecord = (record: WatchedRecord) => {
      if (matches(record)) inOrder.add(record);
    };
    const onCaughtUp = () => {
      inOrder.caughtUp();
      feed.markCaughtUp();
    };

    let stream: EventStream;
    try {
      stream = await openEventStream({ brokers: stack.plan.endpoints.kafka, topics, from, onRecord, onCaughtUp });
    } catch (error) {
      process.stdout.off('error', onStdoutError);
      throw new LabError(`cannot read the saga topics from Kafka at ${stack.plan.endpoints.kafka.join(',')}: ${messageOf(error)}`, {
        cause: error,
        hint: 'is Kafka up? `pizza-lab status`',
      });
    }

    const scope = [says, order && `order ${order}`, types && `types ${types.join(', ')}`, topics && `topics ${topics.join(', ')}`, limit && `first ${limit}`].filter(Boolean).join(' · ');
    // Piped: say on stderr that the stream is open (its start is fixed: nothing from now on is missed).
    if (!live) note(`watching ${(topics ?? ALL_TOPICS).join(', ')} — ${scope} — Ctrl-C stops`);
    let app: { waitUntilExit(): Promise<unknown> } | undefined;
    if (live) {
      const { createElement, render, TailApp } = await loadViews();
      app = render(createElement(TailApp, { feed, scope, format: (record: WatchedRecord) => formatRecord(record, { color }) }), { exitOnCtrlC: false, patchConsole: false });
    }
    try {
      await finished;
    } finally {
      await stream.stop();
      feed.close();
      if (app) await app.waitUntilExit();
      process.stdout.off('error', onStdoutError);
    }
    return 0;
  },
});

export default defineCommand({
  name: 'tail',
  description: 'follow what the saga does, live (see `tail events`)',
  subcommands: [events],
  examples: ['pizza-lab tail events', 'pizza-lab tail events --json --limit 10'],
});
