/**
 * The saga consumer's offsets against the real broker: committed about once a second (not after
 * every partition's batch, as kafkajs's own autoCommit does for eachBatch), up to the last event
 * handled even when no batch follows it, and at a graceful stop — so a restarted service redoes
 * nothing it had finished.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent, type SagaEvent, type Topic } from '../services/events/index.js';
import { startSagaConsumer, type SagaConsumer } from '../services/kit/consumer.js';
import { createPublisher, type Publisher } from '../services/kit/kafka.js';
import { createMetrics } from '../services/kit/metrics.js';
import { eventually, lab } from './support/lab.js';
import { orderCreated } from './support/events.js';

const { plan } = lab();
const topic = 'consumer-offsets-test';
const kafka = new Kafka({ clientId: 'consumer-offsets-test', brokers: plan.endpoints.kafka, logLevel: logLevel.NOTHING });
const groupId = `consumer-offsets-test-${randomUUID().slice(0, 8)}`;
let admin: Admin;
let publisher: Publisher;

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 6, replicationFactor: 1 }] });
  publisher = await createPublisher(kafka);
});
afterAll(async () => {
  await publisher.close();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
});

/** Sends `count` OrderCreated events (spread over the partitions by their order ids) to the test topic. */
async function send(count: number): Promise<void> {
  const records = Array.from({ length: count }, () => ({ ...encodeEvent(orderCreated()), topic }));
  const { unacked } = await publisher.publish(records);
  expect(unacked).toEqual([]);
}

/** Records the group has not committed yet, over every partition of the topic. */
async function uncommitted(): Promise<number> {
  const [committed, latest] = await Promise.all([admin.fetchOffsets({ groupId, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
  const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  return latest.reduce((sum, p) => sum + Number(p.high) - Math.max(0, done.get(p.partition) ?? 0), 0);
}

/** A saga consumer of the test topic that notes every event it handles and every offset commit it sends. */
async function startConsumer(handled: string[]): Promise<{ consumer: SagaConsumer; commits: () => number; joined: Promise<void> }> {
  const logger = pino({ level: 'silent' });
  const consumer = await startSagaConsumer({
    service: 'consumer-offsets-test',
    kafka,
    groupId,
    topics: [topic as Topic],
    handles: ['OrderCreated'],
    handleBatch: async (events: SagaEvent[]) => {
      handled.push(...events.map((e) => e.id));
      return events.map(() => 'done' as const);
    },
    publisher,
    logger,
    metrics: createMetrics({ service: 'consumer-offsets-test', instance: 'consumer-offsets-test' }),
  });
  let commits = 0;
  consumer.consumer.on(consumer.consumer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'OffsetCommit') commits++;
  });
  const joined = new Promise<void>((resolve) => consumer.consumer.on(consumer.consumer.events.GROUP_JOIN, () => resolve()));
  return { consumer, commits: () => commits, joined };
}

describe('the saga consumer', () => {
  it('commits about once a second, up to the last event handled, and at a graceful stop: a restart redoes nothing', async () => {
    const handled: string[] = [];
    const first = await startConsumer(handled);
    await first.joined;

    // 300 events over 1.5 s: dozens of fetches, each bringing batches of several partitions.
    const started = Date.now();
    for (let i = 0; i < 15; i++) {
      await send(20);
      await new Promise((r) => setTimeout(r, 100));
    }
    await eventually('the 300 events handled', () => handled.length >= 300);
    // Nothing follows the last batch: the offsets get there all the same.
    await eventually('every handled event committed', async () => (await uncommitted()) === 0, 5000, 50);
    const seconds = (Date.now() - started) / 1000;
    expect(first.commits()).toBeGreaterThan(0);
    expect(first.commits()).toBeLessThanOrEqual(Math.ceil(seconds) + 2);

    // Handled just now, then a graceful stop: committed before the group is left.
    await send(10);
    await eventually('the 10 more events handled', () => handled.length >= 310);
    await first.consumer.stop();
    expect(await uncommitted()).toBe(0);
    expect(new Set(handled).size).toBe(310);

    // The same group again: it starts where the first left off.
    const again: string[] = [];
    const second = await startConsumer(again);
    try {
      await second.joined;
      await new Promise((r) => setTimeout(r, 1500));
      expect(again).toEqual([]);
      await send(5);
      await eventually('the second consumer handling new events', () => again.length >= 5);
      expect(again.filter((id) => handled.includes(id))).toEqual([]);
    } finally {
      await second.consumer.stop();
    }
  });
});
