import { unreadableKinds } from '../../services/events/index.js';
import { defineCommand, intOption } from '../lib/command.js';
import { LabError, UsageError } from '../lib/errors.js';
import { color, renderTable, say, sayJson } from '../lib/output.js';
import { requireStack, type Stack } from '../runtime/index.js';
import { shortId } from '../watch/index.js';

/** A dead letter as the dlq service's API answers it (GET /dead-letters). */
interface DeadLetter {
  id: string;
  origin: { topic: string; partition: number; offset: string; key: string | null; headers: Record<string, string>; value: string | null; valueEncoding: 'utf8' | 'base64' };
  consumer: string;
  error: { kind: string; message: string };
  attempts: number;
  deadLetteredAt: string;
  status: 'stored' | 'replayed';
  replayedAt: string | null;
  replayCount: number;
}

interface ReplayAnswer {
  replayed: { id: string; topic: string; partition: number; offset: string; key: string | null; replayCount: number; errorKind: string }[];
  count: number;
  skipped: { id: string; reason: string }[];
}

const STATUSES = ['stored', 'replayed', 'all'] as const;
const LOGS_HINT = 'see `pizza-lab status` and `pizza-lab logs dlq`';

/** The dlq service's own address (its API is not behind the gateway). */
function dlqUrl(stack: Stack): string {
  const instance = stack.plan.instances.find((i) => i.service === 'dlq');
  if (!instance) throw new LabError('this lab has no dlq service', { hint: 'start a lab that has one with `pizza-lab up`' });
  return `http://${stack.plan.host}:${instance.port}`;
}

/** Calls the dlq API; its `{error, message}` answers become one-line errors with a hint. */
async function callDlq<T>(path: string, init: { method?: string; body?: unknown; signal: AbortSignal }): Promise<T> {
  const base = dlqUrl(requireStack());
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.any([init.signal, AbortSignal.timeout(120_000)]),
    });
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason;
    throw new LabError(`the dlq service does not answer at ${base}`, { hint: LOGS_HINT, cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as { message?: string } | undefined;
  if (response.ok) return body as T;
  const message = body?.message ?? `the dlq service answered ${response.status}`;
  if (response.status === 404 || response.status === 409) throw new LabError(message, { hint: 'see the ids with `pizza-lab dlq list`' });
  if (response.status === 503) throw new LabError(message, { hint: LOGS_HINT, retriable: true });
  throw new LabError(`the dlq service answered ${response.status}: ${message}`, { hint: LOGS_HINT });
}

/** "2025-05-01 14:03:07", local time. */
function localTime(iso: string): string {
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function truncate(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}


function statusText(letter: DeadLetter): string {
  if (letter.status === 'stored') return color.yellow('stored');
  return color.green(letter.replayCount > 1 ? `replayed ×${letter.replayCount}` : 'replayed');
}

function deadLetterTable(letters: readonly DeadLetter[]): string {
  return renderTable(letters, [
    { header: 'ID', value: (d) => shortId(d.id) },
    { header: 'TIME', value: (d) => localTime(d.deadLetteredAt) },
    { header: 'ORIGIN', value: (d) => `${d.origin.topic}/${d.origin.partition}@${d.origin.offset}` },
    { header: 'ORDER', value: (d) => shortId(d.origin.key) },
    { header: 'CONSUMER', value: (d) => d.consumer.replace(/-service$/, '') },
    { header: 'KIND', value: (d) => color.red(d.error.kind) },
    { header: 'ERROR', value: (d) => truncate(d.error.message, 50) },
    { header: 'ATT', value: (d) => String(d.attempts), align: 'right' },
    { header: 'STATUS', value: statusText },
  ]);
}

const list = defineCommand({
  name: 'list',
  description: 'list dead letters, latest first',
  options: [
    { flags: '--status <status>', description: 'stored (waiting for a replay), replayed, or all', choices: STATUSES, default: 'all' },
    { flags: '-n, --limit <n>', description: 'how many at most', parse: intOption('--limit', { min: 1, max: 1000 }), default: 50 },
    { flags: '--json', description: 'print the dead letters as a JSON array, each with its original record' },
  ],
  examples: ['pizza-lab dlq list', 'pizza-lab dlq list --status stored --limit 10', 'pizza-lab dlq list --json | jq ".[] | .origin.value"'],
  async action(_args, opts, context) {
    const status = opts.status as (typeof STATUSES)[number];
    const answer = await callDlq<{ deadLetters: DeadLetter[]; total: number }>(`/dead-letters?status=${status}&limit=${opts.limit as number}`, { signal: context.signal });
    if (opts.json) {
      sayJson(answer.deadLetters);
      return 0;
    }
    const which = status === 'all' ? '' : ` ${status}`;
    if (answer.deadLetters.length === 0) {
      say(`no dead letters${which}`);
      return 0;
    }
    say(deadLetterTable(answer.deadLetters));
    say(color.dim(`${answer.deadLetters.length} of ${answer.total} dead letters${which}; replay with \`pizza-lab dlq replay <id>…\` or \`--all\``));
    return 0;
  },
});

const replay = defineCommand({
  name: 'replay',
  description: 'send dead letters back to their original topic, as they were',
  details:
    'Each original record is produced again to its topic with its key, value and headers, plus the headers\n' +
    '`x-replayed-from: <dead-letter id>` and `x-replay-for: <consumer group>`, and the dead letter is marked\n' +
    'replayed. Only the consumer group that dead-lettered it handles it again (the others reading the topic\n' +
    'pass it by); if it still cannot process it, it dead-letters it again. An id may be shortened to its\n' +
    'start, as `dlq list` shows it.',
  arguments: [{ name: 'ids', description: 'dead-letter ids (or their first characters, at least 4)', variadic: true }],
  options: [
    { flags: '--all', description: 'replay every stored dead letter (the ones not replayed yet)' },
    { flags: '--json', description: 'print {replayed, count, skipped} as JSON' },
  ],
  examples: ['pizza-lab dlq replay 1a2b3c4d', 'pizza-lab dlq replay 1a2b3c4d 5e6f7a8b', 'pizza-lab dlq replay --all'],
  async action(ids, opts, context) {
    if (ids.length === 0 && !opts.all) throw new UsageError('nothing to replay: pass dead-letter ids, or --all for every stored one', { hint: 'see the ids with `pizza-lab dlq list --status stored`' });
    if (ids.length > 0 && opts.all) throw new UsageError('pass dead-letter ids or --all, not both');
    const tooShort = ids.find((id) => id.length < 4);
    if (tooShort) throw new UsageError(`"${tooShort}" is too short to name a dead letter`, { hint: 'give at least its first 4 characters' });
    const answer = await callDlq<ReplayAnswer>('/dead-letters/replay', { method: 'POST', body: opts.all ? { all: true } : { ids }, signal: context.signal });
    if (opts.json) {
      sayJson(answer);
      return 0;
    }
    if (answer.count === 0) say('nothing to replay: no stored dead letters');
    else {
      say(`replayed ${answer.count} dead letter${answer.count === 1 ? '' : 's'}:`);
      for (const r of answer.replayed) say(`  ${shortId(r.id)}  → ${r.topic}  (was partition ${r.partition} offset ${r.offset}, key ${r.key ?? '—'})${r.replayCount > 1 ? color.dim(`  replay ${r.replayCount}`) : ''}`);
      const unchanged = answer.replayed.filter((r) => unreadableKinds.has(r.errorKind));
      if (unchanged.length > 0) {
        const which = unchanged.map((r) => `${shortId(r.id)} (${r.errorKind})`).join(', ');
        say(color.yellow(`  ${which}: the record itself was at fault and goes back as it was, so it will be dead-lettered again — replay helps a record that failed on a fault since healed`));
      }
    }
    for (const s of answer.skipped) say(color.yellow(`  skipped ${shortId(s.id)}: ${s.reason}`));
    return 0;
  },
});

export default defineCommand({
  name: 'dlq',
  description: 'list and replay dead letters (records a consumer could not process)',
  details: 'A consumer sends a record it cannot process (malformed, unknown type, retries exhausted) to dlq-events with its origin and the error; the dlq service stores each one.',
  subcommands: [list, replay],
  examples: ['pizza-lab dlq list', 'pizza-lab dlq replay 1a2b3c4d', 'pizza-lab dlq replay --all'],
});
