/**
 * `pizza-lab fault …` on the shared lab: each fault observed where a user would see it (status,
 * the fault API, the provider, a measured delay), `fault list` naming it, `fault heal` undoing
 * it all, `--for` healing by itself, and bad targets answered with the valid ones.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, lab, runCli } from './support/lab.js';

const { plan } = lab();

interface Member {
  name: string;
  state: string;
  healthy: boolean;
  pid: number | null;
}
const members = async () => (JSON.parse((await runCli(['status', '--json'])).stdout) as { members: Member[] }).members;
const member = async (name: string) => (await members()).find((m) => m.name === name)!;
const proxies = async () => (await (await fetch(`${plan.endpoints.faultApi}/proxies`)).json()) as Record<string, { enabled: boolean; toxics: { name: string; type: string; attributes: Record<string, number> }[] }>;
const providerMode = async () => ((await (await fetch(`http://${plan.host}:${plan.instances.find((i) => i.service === 'payment-provider')!.port}/control`)).json()) as { mode: string }).mode;

/** Time for a PostgreSQL round trip through a link: connect and get the server's first answer to a startup packet. */
async function roundTripMs(link: string): Promise<number> {
  const [host, port] = plan.proxies.find((p) => p.name === link)!.listen.split(':');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host, port: Number(port) }, () => {
      // An SSLRequest: PostgreSQL answers with one byte ('N').
      socket.write(Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]));
    });
    socket.once('data', () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

afterEach(async () => {
  await runCli(['fault', 'heal']);
});

describe('pizza-lab fault', () => {
  it('kills a service (it stays down, fault list names it), and heal starts it again', async () => {
    const before = await member('notification');
    const killed = await runCli(['fault', 'kill', 'notification']);
    expect(killed.code).toBe(0);
    expect(killed.stdout).toBe('notification: exited (killed by SIGKILL, on request)\nit stays until healed: `pizza-lab fault start notification`, or `pizza-lab fault heal` (every fault)\n');
    expect(await member('notification')).toMatchObject({ state: 'exited', healthy: false, pid: null });

    const list = JSON.parse((await runCli(['fault', 'list', '--json'])).stdout) as { faults: { kind: string; target: string; detail: string }[] };
    expect(list.faults).toContainEqual({ kind: 'member', target: 'notification', detail: expect.stringMatching(/^exited/) });

    const healed = await runCli(['fault', 'heal']);
    expect(healed.stdout).toContain('✓ notification started');
    const after = await member('notification');
    expect(after).toMatchObject({ state: 'running', healthy: true });
    expect(after.pid).not.toBe(before.pid);
  });

  it('pauses and resumes a service', async () => {
    expect((await runCli(['fault', 'pause', 'dlq'])).stdout).toBe('dlq: paused\nit stays until healed: `pizza-lab fault resume dlq`, or `pizza-lab fault heal` (every fault)\n');
    expect((await member('dlq')).state).toBe('paused');
    expect((await runCli(['fault', 'resume', 'dlq'])).stdout).toBe('dlq: running\n');
  });

  it('partitions a service from Kafka: its link is disabled until healed', async () => {
    const result = await runCli(['fault', 'partition', 'notification', '--from', 'kafka']);
    expect(result.stdout).toMatch(/^notification cut off: notification-kafka disabled/);
    expect((await proxies())['notification-kafka']!.enabled).toBe(false);
    expect((await proxies())['notification-postgres']!.enabled).toBe(true);
    await runCli(['fault', 'heal']);
    expect((await proxies())['notification-kafka']!.enabled).toBe(true);
  });

  it('adds latency to a link, measurably, and --for removes it by itself', async () => {
    const baseline = await roundTripMs('dlq-postgres');
    const result = await runCli(['fault', 'latency', 'dlq-postgres', '--ms', '300', '--for', '2s']);
    // The command waited for --for, so by now the toxic is gone again.
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^dlq-postgres: latency 300 ms ←\n.*dlq-postgres: latency removed\n$/s);
    expect((await proxies())['dlq-postgres']!.toxics).toEqual([]);

    await runCli(['fault', 'latency', 'dlq-postgres', '--ms', '300']);
    expect((await proxies())['dlq-postgres']!.toxics).toMatchObject([{ type: 'latency', attributes: { latency: 300 } }]);
    const slowed = await roundTripMs('dlq-postgres');
    expect(slowed).toBeGreaterThanOrEqual(300);
    expect(slowed).toBeLessThan(300 + baseline + 250);
  });

  it('sets the provider’s mode, and heal puts it back to ok', async () => {
    expect((await runCli(['fault', 'provider', '--mode', 'errors', '--rate', '0.5'])).stdout).toMatch(/^payment-provider: errors on 50% of charges/);
    expect(await providerMode()).toBe('errors');
    expect((await runCli(['fault', 'list'])).stdout).toMatch(/provider\s+payment-provider\s+errors on 50% of charges/);
    await runCli(['fault', 'heal']);
    expect(await providerMode()).toBe('ok');
  });

  it('kills only one instance of a scaled service', async () => {
    const result = await runCli(['fault', 'kill', 'order-2', '--for', '1s']);
    expect(result.stdout).toMatch(/^order-2: exited.*\norder-2: running again\n$/s);
    await eventually('order-2 healthy again', async () => (await member('order-2')).healthy);
  });

  it('produces poison records that land in the DLQ', async () => {
    const since = new Date();
    const result = await runCli(['fault', 'poison', 'payment-events', '--count', '2']);
    expect(result).toMatchObject({ code: 0, stdout: '2 malformed record(s) on payment-events\n' });
    const dlq = `http://${plan.host}:${plan.instances.find((i) => i.service === 'dlq')!.port}`;
    await eventually('the poison records in the DLQ', async () => {
      const { deadLetters } = (await (await fetch(`${dlq}/dead-letters?limit=500`)).json()) as { deadLetters: { origin: { topic: string }; error: { kind: string }; deadLetteredAt: string }[] };
      // Two consumer groups read payment-events (order and notification): four dead letters.
      return deadLetters.filter((d) => d.origin.topic === 'payment-events' && d.error.kind === 'malformed' && new Date(d.deadLetteredAt) >= since).length === 4;
    });
  });

  it('rewinds a consumer group; the redelivered events change nothing', async () => {
    const notifications = async () => {
      const response = await fetch(`http://${plan.host}:${plan.instances.find((i) => i.service === 'notification')!.port}/notifications?limit=1000`);
      return ((await response.json()) as { count: number }).count;
    };
    const before = await notifications();
    const result = await runCli(['fault', 'rewind', 'notification-service', '--topic', 'order-events', '--by', '5'], { timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^notification-service rewound on order-events: \d+ records to be delivered again\n$/);
    await eventually('notification to be healthy again', async () => (await member('notification')).healthy);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await notifications()).toBe(before);
  });

  it('answers an unknown service or link with the valid ones (exit 2)', async () => {
    const service = await runCli(['fault', 'kill', 'paymnet']);
    expect(service.code).toBe(2);
    expect(service.stderr).toMatch(/^error: no service or member named "paymnet" — targets: postgres, kafka, .*payment,/);
    const link = await runCli(['fault', 'latency', 'order-redis', '--ms', '10']);
    expect(link.code).toBe(2);
    expect(link.stderr).toMatch(/^error: no link named "order-redis" — links: .*order-kafka.*order-postgres/);
    const protectedMember = await runCli(['fault', 'kill', 'fault-proxy']);
    expect(protectedMember.code).toBe(2);
    expect(protectedMember.stderr).toMatch(/fault-proxy cannot be faulted/);
  });
});
