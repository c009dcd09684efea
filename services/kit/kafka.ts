/**
 * Kafka clients for a service, always through the service's own fault-proxy link (the brokers
 * advertise that link to it), logging through the service's logger.
 */
import { Kafka, logLevel, Partitioners, type LogEntry, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { ServiceConfig } from './config.js';
import type { Logger } from './logger.js';
import './kafkajs-idle-loop.js';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

export function createKafka(config: Pick<ServiceConfig, 'kafka' | 'instance'>, logger: Logger): Kafka {
  if (!config.kafka) throw new Error('this service was not configured for Kafka');
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.instance,
    brokers: config.kafka.brokers,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.warn(rest, message);
        else log.info(rest, message);
      },
  });
}

/**
 * Consumer group timings. A killed consumer's partitions wait a whole session timeout before
 * they move to a survivor (Kafka only learns of the death by silence), so it is kept at the
 * broker's minimum; heartbeats go often enough that a busy process is never taken for dead.
 * A fetch waits up to half a second for data but returns as soon as there is any, so the wait
 * costs no latency — only the idle polling it saves.
 */
export const CONSUMER_TIMINGS = { sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 500 } as const;

/**
 * An idempotent producer: retried sends never duplicate or reorder a partition's records, and
 * acks=all waits for every in-sync replica.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

export interface OutgoingRecord {
  topic: string;
  /** Chosen from the key (the murmur2 kafkajs itself would use) when not given. */
  partition?: number;
  key: string | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
}

export interface Publisher {
  /**
   * Sends the records in one batch. `acked` are those whose partition Kafka acknowledged (in the
   * order given); `unacked` names the partitions it did not. Only `acked` may count as published.
   */
  publish<T extends OutgoingRecord>(records: readonly T[]): Promise<{ acked: T[]; unacked: string[] }>;
  close(): Promise<void>;
}

const partitioner = Partitioners.DefaultPartitioner();
type PartitionMetadata = Parameters<typeof partitioner>[0]['partitionMetadata'];

/**
 * How a service publishes: an idempotent producer, checked partition by partition, and replaced
 * after any send that Kafka did not wholly acknowledge. Both halves guard against kafkajs 2.2.4:
 * - during a leader failover it can resolve a batch without having sent the partitions that moved
 *   to a broker it had already heard from, so every partition's answer is checked;
 * - a failed send may still have been written (the broker died, or the answer was lost, after the
 *   append). kafkajs then reuses the batch's sequence numbers, and the next, different batch for
 *   that partition is refused with OUT_OF_ORDER_SEQUENCE_NUMBER for ever. A new producer (a new
 *   producer id) starts its sequences afresh. What was written twice is a redelivery, which the
 *   consumers' inboxes absorb; each partition still receives its records in order.
 */
export async function createPublisher(kafka: Kafka): Promise<Publisher> {
  let producer: Promise<Producer> | undefined = createProducer(kafka);
  await producer;
  const partitionsByTopic = new Map<string, PartitionMetadata>();

  /** A topic's partitions as the partitioner takes them (asked of Kafka once per topic). */
  async function partitionsOf(topic: string): Promise<PartitionMetadata> {
    let partitions = partitionsByTopic.get(topic);
    if (partitions === undefined) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const count = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length;
        partitions = Array.from({ length: count }, (_, i) => ({ partitionId: i, leader: 0, replicas: [], isr: [], partitionErrorCode: 0 }));
      } finally {
        await admin.disconnect();
      }
      partitionsByTopic.set(topic, partitions);
    }
    return partitions;
  }

  function discard(): void {
    const old = producer;
    producer = undefined;
    void old?.then((p) => p.disconnect()).catch(() => {});
  }

  // One send at a time: when a send fails, kafkajs hands its sequence numbers back, and a send
  // already waiting on the same producer would reuse them for other records — which the broker,
  // holding the failed batch, would take for a duplicate and drop. So the next send waits, and
  // starts on the new producer.
  let queue: Promise<unknown> = Promise.resolve();
  function oneAtATime<T>(send: () => Promise<T>): Promise<T> {
    const turn = queue.then(send, send);
    queue = turn.catch(() => {});
    return turn;
  }

  return {
    publish: (records) => oneAtATime(() => publishNow(records)),
    async close() {
      await queue;
      const last = producer;
      producer = undefined;
      await (await last?.catch(() => undefined))?.disconnect();
    },
  };

  async function publishNow<T extends OutgoingRecord>(records: readonly T[]): Promise<{ acked: T[]; unacked: string[] }> {
    if (records.length === 0) return { acked: [], unacked: [] };
    const placed: { record: (typeof records)[number]; partition: number }[] = [];
    for (const record of records) {
      const partition = record.partition ?? partitioner({ topic: record.topic, partitionMetadata: await partitionsOf(record.topic), message: { key: record.key, value: record.value } });
      placed.push({ record, partition });
    }
    const byTopic = new Map<string, Message[]>();
    for (const { record, partition } of placed) {
      const list = byTopic.get(record.topic) ?? [];
      list.push({ key: record.key, value: record.value, headers: record.headers, partition });
      byTopic.set(record.topic, list);
    }
    let answers: RecordMetadata[];
    try {
      const current = (producer ??= createProducer(kafka));
      answers = await (await current).sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    } catch (error) {
      discard();
      throw error;
    }
    const acked = new Set(answers.map((a) => `${a.topicName}/${a.partition}`));
    const unacked = [...new Set(placed.map((p) => `${p.record.topic}/${p.partition}`))].filter((key) => !acked.has(key));
    if (unacked.length > 0) discard();
    return { acked: placed.filter((p) => acked.has(`${p.record.topic}/${p.partition}`)).map((p) => p.record), unacked };
  }
}
