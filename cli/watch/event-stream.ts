/**
 * Reading the saga back from Kafka for people and for the checker: every record of the saga
 * topics from a chosen starting point, decoded (or marked as not a valid event), in a consumer
 * group of its own that commits nothing — so watching never disturbs the services' groups.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, KafkaMessage } from 'kafkajs';
import { ALL_TOPICS, decodeEvent, headersOf, type Decoded, type SagaEvent } from '../../services/events/index.js';
import { toolsKafka } from '../runtime/common/index.js';

export type StartFrom = { kind: 'beginning' } | { kind: 'latest' } | { kind: 'time'; at: number };

/** One record as watchers see it. */
export interface WatchedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Kafka's timestamp of the record (ms). */
  timestamp: number;
  key: string | null;
  headers: Record<string, string>;
  /** The decoded event, or undefined when the record is not a valid saga event. */
  event?: SagaEvent;
  /** Why it is not a valid event. */
  invalid?: { kind: string; message: string; type?: string };
  /** The raw value (only kept for invalid records, to show them). */
  raw?: string;
}

export function toWatched(topic: string, partition: number, message: KafkaMessage, decoded: Decoded = decodeEvent(message)): WatchedRecord {
  const base = { topic, partition, offset: message.offset, timestamp: Number(message.timestamp), key: message.key?.toString() ?? null, headers: headersOf(message) };
  if (decoded.ok) return { ...base, event: decoded.event };
  return { ...base, invalid: { kind: decoded.kind, message: decoded.message, type: decoded.type }, raw: message.value?.toString('utf8').slice(0, 500) ?? undefined };
}

export interface EventStreamOptions {
  brokers: readonly string[];
  topics?: readonly string[];
  from: StartFrom;
  onRecord: (record: WatchedRecord) => void | Promise<void>;
  /** Called when every partition has been read up to where it ended when the stream opened. */
  onCaughtUp?: () => void;
}

export interface EventStream {
  stop(): Promise<void>;
  /** Resolves once the stream has read everything that existed when it opened. */
  caughtUp: Promise<void>;
}

async function startOffsets(admin: Admin, topic: string, from: StartFrom): Promise<{ partition: number; offset: string; high: string }[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  if (from.kind === 'beginning') return ends.map((p) => ({ partition: p.partition, offset: p.low, high: p.high }));
  if (from.kind === 'latest') return ends.map((p) => ({ partition: p.partition, offset: p.high, high: p.high }));
  const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, from.at);
  const high = new Map(ends.map((p) => [p.partition, p.high]));
  // -1 means "no record at or after that time": start at the end.
  return byTime.map((p) => ({ partition: p.partition, offset: p.offset === '-1' ? high.get(p.partition)! : p.offset, high: high.get(p.partition)! }));
}

/** Opens a stream of saga records. The starting offsets are fixed before it returns, so nothing produced after this call is missed. */
export async function openEventStream(options: EventStreamOptions): Promise<EventStream> {
  const kafka = toolsKafka(options.brokers, 'pizza-lab-watch');
  const topics = options.topics ?? ALL_TOPICS;
  const admin = kafka.admin();
  await admin.connect();
  let starts: Map<string, { partition: number; offset: string; high: string }[]>;
  try {
    starts = new Map(await Promise.all(topics.map(async (t) => [t, await startOffsets(admin, t, options.from)] as const)));
  } finally {
    await admin.disconnect();
  }

  // Partitions still behind the end they had when the stream opened.
  const behind = new Set<string>();
  for (const [topic, parts] of starts) for (const p of parts) if (BigInt(p.offset) < BigInt(p.high)) behind.add(`${topic}/${p.partition}`);
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (markCaughtUp = resolve));
  const checkCaughtUp = () => {
    if (behind.size === 0) {
      markCaughtUp();
      options.onCaughtUp?.();
    }
  };

  const consumer: Consumer = kafka.consumer({ groupId: `pizza-lab-watch-${randomUUID()}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      await options.onRecord(toWatched(topic, partition, message));
      const start = starts.get(topic)?.find((p) => p.partition === partition);
      if (start && behind.has(`${topic}/${partition}`) && BigInt(message.offset) + 1n >= BigInt(start.high)) {
        behind.delete(`${topic}/${partition}`);
        checkCaughtUp();
      }
    },
  });
  for (const [topic, parts] of starts) for (const p of parts) consumer.seek({ topic, partition: p.partition, offset: p.offset });
  checkCaughtUp();

  return {
    caughtUp,
    async stop() {
      await consumer.disconnect();
    },
  };
}

/** Every record from `from` up to the moment of the call, then stops (for trace and the checker); the saga's topics unless `topics` is given. */
export async function readEvents(brokers: readonly string[], from: StartFrom, filter: (record: WatchedRecord) => boolean = () => true, topics?: readonly string[]): Promise<WatchedRecord[]> {
  const records: WatchedRecord[] = [];
  const stream = await openEventStream({ brokers, topics, from, onRecord: (r) => void (filter(r) && records.push(r)) });
  try {
    await stream.caughtUp;
  } finally {
    await stream.stop();
  }
  return records.sort((a, b) => a.timestamp - b.timestamp || a.topic.localeCompare(b.topic) || Number(BigInt(a.offset) - BigInt(b.offset)));
}
