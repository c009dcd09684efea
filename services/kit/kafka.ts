/**
 * Kafka clients for a service, always through the service's own fault-proxy link (the brokers
 * advertise that link to it), logging through the service's logger.
 */
import { Kafka, logLevel, type LogEntry, type Producer } from 'kafkajs';
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
 */
export const CONSUMER_TIMINGS = { sessionTimeout: 6000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 } as const;

/**
 * An idempotent producer: retried sends never duplicate or reorder a partition's records, and
 * acks=all waits for every in-sync replica.
 */
export async function createProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}
