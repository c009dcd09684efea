/**
 * Watching the saga on the shared lab, as a user does: `tail events` (live, from a time, by
 * order, as JSON, through a poison record, Ctrl-C) and `dashboard` in a real pseudo-terminal
 * (real figures from the running services, `q` quits).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolsKafka } from '../cli/runtime/common/index.js';
import type { RecordJson } from '../cli/watch/record-json.js';
import { EVENT_TYPES } from '../services/events/index.js';
import { cliPath, eventually, lab, runCli } from './support/lab.js';

/** What `tail events --json` prints per line (data read as an object). */
type JsonLine = Omit<RecordJson, 'data'> & { data?: Record<string, unknown> };

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/** A long-running CLI command whose output the test reads as it comes. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: '1', PIZZA_LAB_HOME: lab().home }, stdio: ['ignore', 'pipe', 'pipe'] });
  return watchChild(child, `pizza-lab ${args.join(' ')}`);
}

function watchChild(child: ChildProcess, name: string) {
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    out,
    exited,
    /** Waits until the output satisfies `check`. */
    waitFor: (what: string, check: (o: typeof out) => boolean, timeoutMs = 30_000) =>
      eventually(`${name}: ${what}\nstdout: ${out.stdout.slice(-3000)}\nstderr: ${out.stderr.slice(-2000)}`, () => check(out), timeoutMs, 50),
    /** Ctrl-C, and the exit code (killed after 15 s). */
    async interrupt() {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Once the stream is open, a piped tail says so on stderr (from then on nothing is missed). */
const watching = (o: { stderr: string }) => o.stderr.includes('watching ');

async function placeOrder(paymentMethod = 'card'): Promise<string> {
  const response = await fetch(`${lab().plan.endpoints.gateway}/api/v1/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ pizzaId: 'margherita', quantity: 2 }], deliveryAddress: `1 Watch Street ${randomUUID().slice(0, 6)}`, paymentMethod }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { orderId: string }).orderId;
}

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as JsonLine);

const EVENT_KEYS = ['time', 'topic', 'partition', 'offset', 'key', 'type', 'orderId', 'id', 'headers', 'data'];

describe('pizza-lab tail events', () => {
  it('started before an order is placed, prints its OrderCreated and OrderPaid as JSON lines as they happen; Ctrl-C exits 0', async () => {
    const tail = startCli(['tail', 'events', '--json']);
    await tail.waitFor('the stream to open', watching);
    const orderId = await placeOrder();

    const ofOrder = () => jsonLines(tail.out.stdout).filter((l) => l.orderId === orderId);
    await tail.waitFor('OrderCreated and OrderPaid of the order', () => ['OrderCreated', 'OrderPaid'].every((t) => ofOrder().some((l) => l.type === t)));
    expect(await tail.interrupt()).toBe(0);

    const created = ofOrder().find((l) => l.type === 'OrderCreated')!;
    const paid = ofOrder().find((l) => l.type === 'OrderPaid')!;
    for (const line of [created, paid]) {
      expect(Object.keys(line)).toEqual(EVENT_KEYS);
      expect(line.key).toBe(orderId);
      expect(line.id).toBe(line.headers.ce_id);
      expect(line.headers.ce_subject).toBe(orderId);
      expect(new Date(line.time).getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(line.offset).toMatch(/^\d+$/);
    }
    expect(created).toMatchObject({ topic: 'order-events', data: { orderId, totalCents: expect.any(Number), paymentMethod: 'card' } });
    expect(paid).toMatchObject({ topic: 'payment-events', data: { orderId, amountCents: created.data!.totalCents, chargeId: expect.any(String) } });
    // Nothing but JSON lines on stdout (no colour, no footer).
    expect(tail.out.stdout).not.toContain('\u001b[');
  });

  it('--json --limit 2 --order ID --type OrderCreated OrderPaid --since: exactly those two, in saga order, then exit 0', async () => {
    const orderId = await placeOrder();
    const result = await runCli(['tail', 'events', '--json', '--limit', '2', '--order', orderId, '--type', 'OrderCreated', 'OrderPaid', '--since', '2m'], { timeoutMs: 60_000 });
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    expect(lines.map((l) => [l.type, l.orderId])).toEqual([
      ['OrderCreated', orderId],
      ['OrderPaid', orderId],
    ]);
    for (const line of lines) expect(Object.keys(line)).toEqual(EVENT_KEYS);
  });

  it('--order (a whole id or an 8-character prefix) prints only that order\'s events, history in time order', async () => {
    const mine = await placeOrder('card-declined');
    const other = await placeOrder('card');
    const tail = startCli(['tail', 'events', '--order', mine.slice(0, 8), '--since', '2m']);
    // The declined order's saga ends with the cancellation and its notification.
    await tail.waitFor('the cancellation of the declined order', (o) => o.stdout.includes('OrderCancelled') && o.stdout.includes('email "order-cancelled"'));
    // The other order's events are there to be left out: let them reach Kafka.
    const theirs = await runCli(['tail', 'events', '--json', '--order', other, '--type', 'OrderPaid', '--since', '2m', '--limit', '1']);
    expect(jsonLines(theirs.stdout)[0]).toMatchObject({ type: 'OrderPaid', orderId: other });
    expect(await tail.interrupt()).toBe(0);

    const lines = tail.out.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (order|payment|notification)-events\s+[A-Za-z]+\s+[0-9a-f]{8}  /);
      expect(line).toContain(` ${mine.slice(0, 8)}  `);
      expect(line).not.toContain(other.slice(0, 8));
    }
    const types = lines.map((l) => l.split(/\s+/)[2]);
    expect(types[0]).toBe('OrderCreated');
    expect(types.indexOf('PaymentFailed')).toBeLessThan(types.indexOf('OrderCancelled'));
    expect(lines.find((l) => l.includes('PaymentFailed'))).toContain('declined');
    expect(lines.find((l) => l.includes('OrderCreated'))).toContain('2× Margherita');
  });

  it('shows a poison record on order-events as not an event (--json: invalid), and goes on', async () => {
    const key = `poison-${randomUUID()}`;
    const text = startCli(['tail', 'events']);
    const json = startCli(['tail', 'events', '--json']);
    await text.waitFor('the stream to open', watching);
    await json.waitFor('the stream to open', watching);

    const producer = toolsKafka(lab().plan.endpoints.kafka).producer();
    await producer.connect();
    try {
      await producer.send({ topic: 'order-events', messages: [{ key, value: `{"this is": not json ${key}` }] });
    } finally {
      await producer.disconnect();
    }
    const orderId = await placeOrder();

    await text.waitFor('the poison record, then the order', (o) => o.stdout.includes(`key ${key}`) && o.stdout.includes(`OrderCreated     ${orderId.slice(0, 8)}`));
    await json.waitFor('the poison record, then the order', (o) => o.stdout.includes(key) && jsonLines(o.stdout).some((l) => l.orderId === orderId && l.type === 'OrderCreated'));
    expect(await text.interrupt()).toBe(0);
    expect(await json.interrupt()).toBe(0);

    const line = text.out.stdout.split('\n').find((l) => l.includes(`key ${key}`))!;
    expect(line).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} order-events\\s+ NOT AN EVENT\\s+key ${key}  malformed: not a CloudEvent`));
    expect(line).toContain(`raw "{\\"this is\\": not json`);

    const poison = jsonLines(json.out.stdout).find((l) => l.key === key)!;
    expect(poison).toMatchObject({ topic: 'order-events', type: null, orderId: null, id: null, headers: {}, invalid: { kind: 'malformed' }, raw: `{"this is": not json ${key}` });
    expect(poison.invalid!.message).toContain('not a CloudEvent');
    expect(poison.data).toBeUndefined();
  });

  it('refuses bad options in one line, exit 2', async () => {
    const badType = await runCli(['tail', 'events', '--type', 'OrderShipped']);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toContain(`error: option '-t, --type <type...>' argument 'OrderShipped' is invalid. Allowed choices are ${EVENT_TYPES.join(', ')}.`);
    const badTopic = await runCli(['tail', 'events', '--topic', 'orders']);
    expect(badTopic.code).toBe(2);
    expect(badTopic.stderr).toContain('Allowed choices are order-events, payment-events, notification-events, dlq-events');
    const shortOrder = await runCli(['tail', 'events', '--order', 'abc123']);
    expect(shortOrder.code).toBe(2);
    expect(shortOrder.stderr).toContain('--order must be an order id or its first 8+ characters');
    const both = await runCli(['tail', 'events', '--from-beginning', '--since', '5m']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('error: --from-beginning and --since both say where to start — use one of them\n');
  });
});

describe('pizza-lab dashboard', () => {
  it('in a terminal, shows the members and real figures from the running services, and quits on q', async () => {
    const { home, plan } = lab();
    const command = `stty cols 120 rows 40; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} dashboard --interval 500ms`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, PIZZA_LAB_HOME: home, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const view = watchChild(child, 'pizza-lab dashboard (in a pty)');
    try {
      await view.waitFor('the first frame', (o) => stripAnsi(o.stdout).includes('Members ·'));
      // Orders placed while it watches: the latency of POST /orders shows, measured in this window.
      for (let i = 0; i < 5; i++) await placeOrder();
      await view.waitFor('a POST /orders latency and a saga latency', (o) => /POST \/orders\s+\d+(\.\d)? ms/.test(stripAnsi(o.stdout)) && /saga\s+\d+(\.\d+)? (ms|s)/.test(stripAnsi(o.stdout)), 30_000);

      const screen = stripAnsi(view.out.stdout);
      expect(screen).toMatch(/pizza-lab dashboard · native · \d\d:\d\d:\d\d · every 500 ms · q quits/);
      const members = /Members · (\d+)\/(\d+) up/.exec(screen)!;
      expect(Number(members[2])).toBe(plan.instances.length + 3); // + kafka, postgres, fault-proxy
      for (const instance of plan.instances) expect(screen).toContain(instance.member);
      expect(screen).toMatch(/created\s+\d+\.\d\/s/);
      expect(screen).toMatch(/pending [\d,]+ · paid [\d,]+ · cancelled [\d,]+/);
      expect(screen).toMatch(/order-service\s+\d+/);
      expect(screen).toContain('Active faults');

      child.stdin!.write('q');
      const code = await Promise.race([view.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 10_000))]);
      expect(code).toBe(0);
      // It leaves the alternate screen: the terminal is as it was.
      expect(view.out.stdout).toContain('\u001b[?1049l');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('--once prints one frame without a terminal', async () => {
    const result = await runCli(['dashboard', '--once', '--interval', '300ms']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Members · \d+\/\d+ up/);
    expect(result.stdout).toContain('POST /orders');
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('with every payment instance stopped, shows the payment group\'s lag read from Kafka (and the member down, the fault)', async () => {
    const stop = await runCli(['fault', 'stop', 'payment']);
    expect(stop.code, stop.stderr).toBe(0);
    // A stop drains quietly: no warning between the signal and the end (its relay's connection closing is not a loss).
    const log = (await runCli(['logs', 'payment', '-n', '400'])).stdout;
    const drain = log.slice(log.lastIndexOf('"msg":"draining"'));
    expect(drain).toContain('"msg":"stopped cleanly"');
    expect(drain).not.toContain('"level":"warn"');
    let orderId: string;
    try {
      orderId = await placeOrder();
      const created = await runCli(['tail', 'events', '--json', '--order', orderId, '--type', 'OrderCreated', '--since', '1m', '--limit', '1']);
      expect(created.code, created.stderr).toBe(0);
      const result = await runCli(['dashboard', '--once', '--interval', '300ms']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/payment-service\s+[1-9]\d* \(Kafka\)/);
      expect(result.stdout).toMatch(/✖ payment stopped/);
      expect(result.stdout).toContain('payment: stopped');
    } finally {
      const start = await runCli(['fault', 'start', 'payment'], { timeoutMs: 90_000 });
      expect(start.code, start.stderr).toBe(0);
    }
    // Nothing was lost: once payment is back, the order is paid.
    await eventually('the order to be PAID after payment restarted', async () => {
      const response = await fetch(`${lab().plan.endpoints.gateway}/api/v1/orders/${orderId}`);
      return ((await response.json()) as { status: string }).status === 'PAID';
    }, 30_000);
  });

  it('without a terminal and without --once, says what to do', async () => {
    const result = await runCli(['dashboard']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: the live dashboard needs a terminal — use `pizza-lab dashboard --once` to print one frame\n');
  });
});

describe('when the lab is not up', () => {
  it('tail and dashboard say so in one line and exit 1', async () => {
    const home = await mkdtemp(join(tmpdir(), 'pizza-lab-nolab-'));
    try {
      for (const args of [['tail', 'events'], ['dashboard']]) {
        const result = await runCli(args, { home });
        expect(result.code).toBe(1);
        expect(result.stderr).toBe('error: the lab is not running in this folder — start it with `pizza-lab up`\n');
      }
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
