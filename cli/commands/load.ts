import { join } from 'node:path';
import { defineCommand, durationOption, intOption } from '../lib/command.js';
import { color, errColor, say, sayJson, statusLine, visibleWidth } from '../lib/output.js';
import { labHome } from '../lib/paths.js';
import { countOutcomes, DEFAULT_MAX_IN_FLIGHT, DEFAULT_REQUEST_TIMEOUT_MS, formatLiveLine, formatLoadSummary, runLoad, writeLedger, type LoadEndpoint, type LoadSnapshot } from '../load/index.js';
import { requireStack } from '../runtime/index.js';

const ENDPOINTS: readonly LoadEndpoint[] = ['orders', 'menu'];
const TARGETS: Record<LoadEndpoint, string> = { orders: 'POST /api/v1/orders', menu: 'GET /api/v1/menu' };


/** `load-2025-01-31T10-15-42-123Z.jsonl`: sorts by time, safe in every file system. */
const ledgerName = () => `load-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;

/** Progress on stderr: one line rewritten in place on a terminal, a line every 5 s otherwise. */
function progress() {
  const tty = Boolean(process.stderr.isTTY);
  const status = statusLine();
  return {
    tick(snapshot: LoadSnapshot) {
      const line = formatLiveLine(snapshot, errColor);
      if (tty) {
        const width = Math.max(20, (process.stderr.columns ?? 120) - 1);
        // A line wider than the terminal wraps, and "\r" would then rewrite only its last part.
        status.show(visibleWidth(line) > width ? formatLiveLine(snapshot).slice(0, width) : line);
      } else if (Math.round(snapshot.elapsedMs / 1000) % 5 === 0 || snapshot.draining) {
        process.stderr.write(`${line}\n`);
      }
    },
    done() {
      status.clear();
    },
  };
}

export default defineCommand({
  name: 'load',
  description: 'offer a steady load to the shop through the gateway and report throughput, latency and errors',
  details: [
    'The load is an open model, like k6 constant-arrival-rate or wrk2: request i is due at i/rate',
    'seconds, whether or not earlier answers came back, and its latency runs from when it was due.',
    'A request that finds --max-in-flight requests still outstanding is dropped, not sent late.',
    'For orders, every request carries a fresh Idempotency-Key and is written to a ledger (JSON',
    'lines: key, outcome accepted|rejected|unknown, status, orderId, times), the evidence a checker',
    'uses to find lost orders. Ctrl-C stops the load and still prints the summary.',
  ].join('\n'),
  options: [
    { flags: '-r, --rate <n>', description: 'requests per second', parse: intOption('--rate', { min: 1, max: 100_000 }), default: 20 },
    { flags: '-d, --duration <duration>', description: 'how long to offer the load (30s, 2m, …)', parse: durationOption('--duration'), default: '30s' },
    { flags: '-e, --endpoint <name>', description: 'what to call', choices: ENDPOINTS, default: 'orders' },
    { flags: '--max-in-flight <n>', description: 'requests outstanding at most (also the number of connections)', parse: intOption('--max-in-flight', { min: 1, max: 10_000 }), default: DEFAULT_MAX_IN_FLIGHT },
    { flags: '--timeout <duration>', description: 'how long one request may take before it counts as error:timeout', parse: durationOption('--timeout'), default: `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s` },
    { flags: '--ledger <file>', description: 'where to write the ledger of order requests (default .pizza-lab/ledgers/load-<time>.jsonl)' },
    { flags: '--json', description: 'print the result as JSON (the ledger by its path, not its entries)' },
  ],
  examples: [
    'pizza-lab load --rate 50 --duration 1m',
    'pizza-lab load --rate 200 --duration 30s --endpoint menu',
    'pizza-lab load --rate 20 --duration 10s --ledger orders.jsonl --json | jq .latencyMs',
    'pizza-lab load --rate 500 --duration 20s --max-in-flight 50   # drops show when the shop falls behind',
  ],
  async action(_args, opts, context) {
    const endpoint = opts.endpoint as LoadEndpoint;
    const gateway = requireStack().plan.endpoints.gateway;
    const live = progress();
    const result = await runLoad({
      gateway,
      endpoint,
      rate: opts.rate as number,
      durationMs: opts.duration as number,
      maxInFlight: opts.maxInFlight as number,
      timeoutMs: opts.timeout as number,
      signal: context.signal,
      onTick: live.tick,
    }).finally(() => live.done());

    let ledger: { path: string; outcomes: ReturnType<typeof countOutcomes> } | undefined;
    if (endpoint === 'orders') {
      const path = typeof opts.ledger === 'string' ? opts.ledger : join(labHome(), 'ledgers', ledgerName());
      await writeLedger(path, result.ledger);
      ledger = { path, outcomes: countOutcomes(result.ledger) };
    }

    if (opts.json) {
      sayJson({ ...result, ledger: ledger ? { path: ledger.path, entries: result.ledger.length, ...ledger.outcomes } : null });
    } else {
      say(formatLoadSummary(result, { target: TARGETS[endpoint], gateway, maxInFlight: result.maxInFlight, ledger }, color));
    }
    return result.ok > 0 ? 0 : 1;
  },
});
