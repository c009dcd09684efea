/**
 * The services' publisher against the real broker, through a fault-proxy link: a send whose
 * answer is lost after Kafka wrote it (as when a leader dies mid-request) must not wedge the
 * publisher. Before the fix, the next and different batch for that partition was refused with
 * OUT_OF_ORDER_SEQUENCE_NUMBER for ever, and an outbox behind it never drained.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublisher, type Publisher } from '../services/kit/kafka.js';
import { readEvents } from '../cli/watch/event-stream.js';
import { lab } from './support/lab.js';
import { createTopic } from './support/topics.js';

const { plan } = lab();
// The dlq service's link to the first broker: the broker advertises that link to whoever comes
// through it, so every request of this client passes the link (the dlq service is idle here).
const link = plan.proxies.find((p) => p.name === 'dlq-kafka')!;
const topic = 'publisher-test';
const kafka = new Kafka({ clientId: 'publisher-test', brokers: [link.listen], requestTimeout: 1500, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 }, logLevel: logLevel.NOTHING });
let publisher: Publisher;

const muteAnswers = (on: boolean) =>
  on
    ? fetch(`${plan.endpoints.faultApi}/proxies/${link.name}/toxics`, { method: 'POST', body: JSON.stringify({ name: 'mute', type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } }) })
    : fetch(`${plan.endpoints.faultApi}/proxies/${link.name}/toxics/mute`, { method: 'DELETE' });

let deleteTopic: (() => Promise<void>) | undefined;

beforeAll(async () => {
  deleteTopic = await createTopic(kafka, topic);
  publisher = await createPublisher(kafka);
});
afterAll(async () => {
  await muteAnswers(false);
  await publisher.close();
  await deleteTopic?.();
});

/** Every value on the topic's partition, in the order written (what is not a saga event keeps its raw value). */
async function readAll(): Promise<string[]> {
  return (await readEvents(plan.endpoints.kafka, { kind: 'beginning' }, () => true, [topic])).map((r) => r.raw!);
}

const record = (value: string) => ({ topic, key: 'same-key', value, headers: {} });

describe('the publisher', () => {
  it('publishes the next batch after a send whose answer was lost (Kafka had written it)', async () => {
    expect((await publisher.publish([record('first')])).unacked).toEqual([]);

    await muteAnswers(true);
    await expect(publisher.publish([record('lost answer')])).rejects.toThrow();
    await muteAnswers(false);

    // What the outbox relay does next: the unacknowledged record again, with one more behind it.
    const { acked, unacked } = await publisher.publish([record('lost answer'), record('behind it')]);
    expect(unacked).toEqual([]);
    expect(acked.map((r) => r.value)).toEqual(['lost answer', 'behind it']);

    // On the partition: everything in order; the record whose answer was lost may be there twice
    // (a redelivery, which the consumers' inboxes absorb), never missing.
    const values = await readAll();
    expect(values[0]).toBe('first');
    expect(values.at(-1)).toBe('behind it');
    expect(values.filter((v) => v === 'lost answer').length).toBeGreaterThanOrEqual(1);
  });
});
