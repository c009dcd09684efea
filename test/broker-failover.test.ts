/**
 * A lab of its own with three Kafka brokers: the cluster is replicated as the design says, and
 * broker-failover --quick passes — the leader of the busiest partition is killed under load and
 * nothing is lost or done twice.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../cli/experiment/runner.js';
import { toolsKafka } from '../cli/runtime/common/index.js';
import { defaultStackOptions, startStack, stopStack, type Stack } from '../cli/runtime/index.js';
import { runCli } from './support/lab.js';
import { labPorts } from './support/ports.js';

let home: string;
let stack: Stack;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'pizza-lab-brokers-'));
  stack = await startStack(defaultStackOptions({ ...(await labPorts()), brokers: 3 }), { runtime: 'native', home });
}, 180_000);

afterAll(async () => {
  await stopStack({ home, volumes: true });
  await rm(home, { recursive: true, force: true });
}, 120_000);

describe('three brokers', () => {
  it('replicates every saga topic three times with min.insync.replicas 2', async () => {
    const admin = toolsKafka(stack.plan.endpoints.kafka).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['order-events', 'payment-events', 'notification-events', 'dlq-events'] });
      for (const topic of topics) for (const p of topic.partitions) expect(p.replicas).toHaveLength(3);
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'order-events', configNames: ['min.insync.replicas'] }] });
      expect(configs.resources[0]!.configEntries[0]).toMatchObject({ configName: 'min.insync.replicas', configValue: '2' });
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    } finally {
      await admin.disconnect();
    }
  });

  it('broker-failover --quick passes and records how long the partition had no leader', async () => {
    const report = join(home, 'report');
    const result = await runCli(['scenario', 'broker-failover', '--quick', '--report', report], { home, timeoutMs: 240_000 });
    const journal = JSON.parse(await readFile(join(report, 'journal.json'), 'utf8').catch(() => expect.fail(`no report was written (exit ${result.code}):\n${result.stdout}${result.stderr}`))) as Journal;
    expect(journal.verdict!.rows.filter((r) => !r.pass), result.stdout + result.stderr).toEqual([]);
    expect(result.code).toBe(0);
    expect(journal.extra.leaderlessMs).toBeGreaterThan(0);
    expect(journal.timeline[0]!.result).toMatch(/^killed kafka-[123], leader of order-events\/\d; broker [123] led it after \d+ ms$/);
    expect(journal.verdict!.figures.lost).toEqual([]);
    expect(journal.verdict!.figures.duplicateEffects).toEqual([]);
  }, 300_000);
});
