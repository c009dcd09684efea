/**
 * Kafka clients for a service, always through the service's own fault-proxy link (the brokers
 * advertise that link to it), logging through the service's logger.
 */
import { Kafka, logLevel, type LogEntry, type Message, type Producer } from 'kafkajs';
import type { ServiceConfig } from './config.js';
import type { Logger } from './logger.js';

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

export interface PartitionedRecord {
  topic: string;
  partition: number;
  key: string | null;
  value: string | Buffer | null;
  headers: Record<string, string | Buffer>;
}

/**
 * Sends records whose partition is already chosen, in one batch, and returns the topic/partition
 * pairs Kafka acknowledged. Check it: kafkajs 2.2.4 can resolve a batch without sending the
 * partitions that moved to another broker during a retry (a leader failover), so a caller must
 * only count as published what is acknowledged here.
 */
export async function sendPartitioned(producer: Producer, records: readonly PartitionedRecord[]): Promise<Set<string>> {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    const list = byTopic.get(r.topic) ?? [];
    list.push({ key: r.key, value: r.value, headers: r.headers, partition: r.partition });
    byTopic.set(r.topic, list);
  }
  const answers = await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  return new Set(answers.map((a) => `${a.topicName}/${a.partition}`));
}
