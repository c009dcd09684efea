/**
 * The saga consumer every service uses. For each record: decode and validate it (a bad record
 * goes to the dead-letter topic with its origin and the consumer moves on), skip types the
 * service does not handle, then run the handler:
 *   - transient errors are retried with backoff and full jitter, a bounded number of times, then
 *     dead-lettered (`retries-exhausted`);
 *   - programming errors are never retried: dead-lettered at once (`not-retriable`);
 *   - the service's own database being unreachable blocks the partition (retried until it is
 *     back): the event stays in Kafka, nothing is dead-lettered for an outage;
 *   - `PauseConsumption` (a circuit breaker is open) pauses the partition and resumes it later,
 *     instead of burning retries.
 * Offsets are committed only for records fully handled, once a second (and when the group
 * rebalances, and at stop); redeliveries are absorbed by the inbox.
 */
import type { Batch, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { createEvent, decodeEvent, encodeEvent, headersOf, isForGroup, recordValue, TOPIC_PARTITIONS, type DeadLettered, type EventType, type SagaEvent, type Topic } from '../events/index.js';
import { isConnectionError, isRetriable, messageOf, ServiceError } from './errors.js';
import { stableUuid } from './ids.js';
import { CONSUMER_TIMINGS, type Publisher } from './kafka.js';
import { startLagReporter } from './lag.js';
import { forOrder, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { backoffDelay, sleep } from './retry.js';

/**
 * After handling a fetch that brought records, a consumer waits this long before its next fetch,
 * so that under load each fetch carries more records: fewer fetch requests for Kafka and the
 * fault proxy, and fewer, larger transactions for PostgreSQL. An idle consumer's long poll is
 * answered as soon as a record arrives, so a lone order pays nothing; under load a hop pays at
 * most this. The consumer's counterpart of the outbox relay's short wait after a wake-up.
 */
const FETCH_LINGER_MS = 20;

/** How often a consumer commits the offsets of the events it has handled. */
const COMMIT_INTERVAL_MS = 1000;

/** Thrown by a handler to stop consuming a partition for a while (e.g. the breaker is open). */
export class PauseConsumption extends ServiceError {
  constructor(
    message: string,
    readonly resumeInMs: number,
  ) {
    super(message, { retriable: true, code: 'pause' });
  }
}

/** What a batch handler says of each event. */
export type BatchResult = 'done' | 'duplicate' | Error;

export interface HandlerContext {
  /** 1 for the first try, 2 for the first retry… */
  attempt: number;
  logger: Logger;
}

export interface SagaConsumerOptions {
  /** The consuming service (the `ce_source` of its dead letters). */
  service: string;
  kafka: Kafka;
  groupId: string;
  topics: readonly Topic[];
  /** Event types this consumer acts on; others on its topics are skipped. */
  handles: readonly EventType[];
  /**
   * Handles a run of events — ideally in one transaction — each partition's in their order: the
   * partitions fetched together come in one call (see coalesce). Returns one result per event:
   * 'done', 'duplicate' (the inbox showed it was handled before), or the error of an event it left
   * untouched (that one is then retried on its own). Throwing means nothing was done. A retry
   * calls it with that one event.
   */
  handleBatch: (events: SagaEvent[], context: HandlerContext) => Promise<BatchResult[]>;
  /** Sends dead letters. */
  publisher: Publisher;
  logger: Logger;
  metrics: Metrics;
  /** Attempts for transient errors before dead-lettering (first try included). */
  attempts?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Partitions handled in parallel (each partition stays in order); all of them by default. */
  concurrency?: number;
  fromBeginning?: boolean;
}

export interface SagaConsumer {
  consumer: Consumer;
  stop(): Promise<void>;
}

/** The DeadLettered event for a record; its id is derived from the record, so a re-send is a duplicate the dlq table ignores. */
export function deadLetterEvent(args: { service: string; consumer: string; topic: string; partition: number; message: KafkaMessage; kind: DeadLettered['error']['kind']; error: string; attempts: number; traceparent?: string }): SagaEvent<'DeadLettered'> {
  return createEvent({
    type: 'DeadLettered',
    source: args.service,
    id: stableUuid(`${args.consumer}|${args.topic}|${args.partition}|${args.message.offset}`),
    cause: args.traceparent,
    data: {
      origin: { topic: args.topic, partition: args.partition, offset: args.message.offset, key: args.message.key?.toString() ?? null, headers: headersOf(args.message), ...recordValue(args.message.value) },
      consumer: args.consumer,
      error: { kind: args.kind, message: args.error.slice(0, 2000) },
      attempts: args.attempts,
      deadLetteredAt: new Date().toISOString(),
    },
  });
}

/**
 * Joins the calls made in the same turn of the event loop into one: kafkajs hands over the
 * partitions of a fetch concurrently, and their first attempts become one batch (one transaction
 * for the whole fetch instead of one per partition). Each caller gets its own events' results;
 * if the joined call throws, every caller gets the error (and retries its events on its own).
 */
export function coalesce<T, R>(handle: (items: T[]) => Promise<R[]>): (items: T[]) => Promise<R[]> {
  let queue: { items: T[]; resolve: (results: R[]) => void; reject: (error: unknown) => void }[] = [];
  const flush = async () => {
    const calls = queue;
    queue = [];
    const items = calls.flatMap((c) => c.items);
    try {
      const results = await handle(items);
      if (results.length !== items.length) throw new Error(`the batch handler answered ${results.length} results for ${items.length} events`);
      let at = 0;
      for (const call of calls) {
        call.resolve(results.slice(at, at + call.items.length));
        at += call.items.length;
      }
    } catch (error) {
      for (const call of calls) call.reject(error);
    }
  };
  return (items) =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(() => void flush());
      queue.push({ items, resolve, reject });
    });
}

export async function startSagaConsumer(options: SagaConsumerOptions): Promise<SagaConsumer> {
  const { groupId, metrics, publisher } = options;
  const logger = options.logger.child({ component: 'consumer', group: groupId });
  const attempts = options.attempts ?? 5;
  const retryInitialMs = options.retryInitialMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const handles = new Set(options.handles);
  const firstAttempt = coalesce((events: SagaEvent[]) => options.handleBatch(events, { attempt: 1, logger }));
  const consumer = options.kafka.consumer({
    groupId,
    ...CONSUMER_TIMINGS,
    allowAutoTopicCreation: false,
  });
  let running = true;

  async function deadLetter(topic: string, partition: number, message: KafkaMessage, kind: DeadLettered['error']['kind'], error: string, tried: number, traceparent?: string) {
    const event = deadLetterEvent({ service: options.service, consumer: groupId, topic, partition, message, kind, error, attempts: tried, traceparent });
    const record = encodeEvent(event);
    const { unacked } = await publisher.publish([record]);
    if (unacked.length > 0) throw new Error(`Kafka did not acknowledge the dead letter on ${unacked[0]}`);
    metrics.deadLettered.inc({ topic, reason: kind });
    logger.warn({ topic, partition, offset: message.offset, kind, error, attempts: tried, orderId: event.subject ?? undefined }, 'record dead-lettered');
  }

  /** An event the handler dealt with: counted, timed, and a redelivery the inbox absorbed said in the log. */
  function handled(topic: string, event: SagaEvent, result: 'done' | 'duplicate', seconds: number) {
    metrics.eventsConsumed.inc({ topic, type: event.type, outcome: result === 'duplicate' ? 'duplicate' : 'processed' });
    metrics.eventDuration.observe({ type: event.type }, seconds);
    if (result === 'duplicate') forOrder(logger, event.subject, event.traceparent).info({ eventId: event.id, type: event.type }, 'duplicate delivery ignored (inbox)');
  }

  type Outcome = { kind: 'done' } | { kind: 'paused'; resumeInMs: number } | { kind: 'stopped' };
  const done: Outcome = { kind: 'done' };

  /**
   * One event through the retry loop; `paused` when the partition must stop at it for now.
   * `failedOnce` is the error of a first attempt already made (in a batch).
   */
  async function handleOne(topic: string, partition: number, message: KafkaMessage, event: SagaEvent, heartbeat: () => Promise<void>, failedOnce?: unknown): Promise<Outcome> {
    const log = forOrder(logger, event.subject, event.traceparent);
    const started = process.hrtime.bigint();
    let earlier = failedOnce;
    for (let attempt = 1; ; attempt++) {
      try {
        if (earlier !== undefined) {
          const error = earlier;
          earlier = undefined;
          throw error;
        }
        const result = await handleSingle(event, { attempt, logger: log });
        handled(topic, event, result, Number(process.hrtime.bigint() - started) / 1e9);
        return done;
      } catch (error) {
        if (error instanceof PauseConsumption) return { kind: 'paused', resumeInMs: error.resumeInMs };
        if (!running) return { kind: 'stopped' };
        if (isConnectionError(error)) {
          // Our own dependency is down: wait for it, do not dead-letter for an outage.
          const delay = backoffDelay(Math.min(attempt, 6), { initialMs: retryInitialMs, maxMs: retryMaxMs });
          if (attempt === 1 || attempt % 10 === 0) log.warn({ err: messageOf(error), attempt }, 'dependency unavailable; holding this partition until it is back');
          await sleep(delay);
          await heartbeat().catch(() => {});
          continue;
        }
        if (!isRetriable(error) || attempt >= attempts) {
          const kind = isRetriable(error) ? 'retries-exhausted' : 'not-retriable';
          if (kind === 'not-retriable') log.error({ err: error }, 'handler failed with an error that retrying cannot fix');
          await deadLetter(topic, partition, message, kind, messageOf(error), attempt, event.traceparent);
          metrics.eventsConsumed.inc({ topic, type: event.type, outcome: 'dead-lettered' });
          return done;
        }
        metrics.handlerRetries.inc({ type: event.type });
        const delay = backoffDelay(attempt, { initialMs: retryInitialMs, maxMs: retryMaxMs });
        log.info({ err: messageOf(error), attempt, retryInMs: delay }, 'transient error; retrying');
        await sleep(delay);
        await heartbeat().catch(() => {});
      }
    }
  }

  /** The batch handler with one event; throws that event's error. */
  async function handleSingle(event: SagaEvent, context: HandlerContext): Promise<'done' | 'duplicate'> {
    const [result] = await options.handleBatch([event], context);
    if (result instanceof Error || (result !== undefined && result !== 'done' && result !== 'duplicate')) throw result;
    return result ?? 'done';
  }

  interface Item {
    message: KafkaMessage;
    event?: SagaEvent;
    /** Set once the batch handler has dealt with the event. */
    result?: BatchResult;
  }

  /**
   * One fetched batch of one partition, in order. The valid events go to the batch handler first
   * (one transaction for many events); whatever it could not do — or everything, when it throws —
   * goes through the one-event retry loop, in order, so the guarantees stay per event.
   */
  async function processBatch(batch: Batch, resolveOffset: (offset: string) => void, heartbeat: () => Promise<void>, isActive: () => boolean): Promise<Outcome> {
    const items: Item[] = [];
    for (const message of batch.messages) {
      const headers = headersOf(message);
      // A record replayed for other groups is passed by before anything else is done with it.
      if (!isForGroup(headers, groupId)) {
        metrics.eventsConsumed.inc({ topic: batch.topic, type: headers.ce_type ?? 'unknown', outcome: 'skipped' });
        items.push({ message, result: 'done' });
        continue;
      }
      const decoded = decodeEvent(message);
      if (!decoded.ok) {
        await deadLetter(batch.topic, batch.partition, message, decoded.kind, decoded.message, 0, headers.traceparent);
        metrics.eventsConsumed.inc({ topic: batch.topic, type: decoded.type ?? 'unknown', outcome: 'dead-lettered' });
        items.push({ message, result: 'done' });
      } else if (!handles.has(decoded.event.type)) {
        metrics.eventsConsumed.inc({ topic: batch.topic, type: decoded.event.type, outcome: 'skipped' });
        items.push({ message, result: 'done' });
      } else items.push({ message, event: decoded.event });
    }
    const work = items.filter((i) => i.result === undefined);
    if (work.length > 0) {
      const started = process.hrtime.bigint();
      try {
        const results = await firstAttempt(work.map((i) => i.event!));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9 / work.length;
        work.forEach((item, index) => {
          const result = results[index];
          if (result === 'done' || result === 'duplicate' || result === undefined) {
            item.result = result ?? 'done';
            handled(batch.topic, item.event!, item.result, seconds);
          } else item.result = result;
        });
      } catch (error) {
        // The whole batch failed (its transaction rolled back): every event goes one by one. A
        // transient failure counts as each event's first attempt (its loop waits before the next);
        // any other may be one event's doing, so each event gets an attempt of its own.
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const item of work) item.result = isRetriable(failure) ? failure : undefined;
      }
    }
    for (const item of items) {
      if (!isActive()) return { kind: 'stopped' };
      if (item.result !== 'done' && item.result !== 'duplicate') {
        const outcome = await handleOne(batch.topic, batch.partition, item.message, item.event!, heartbeat, item.result);
        if (outcome.kind !== 'done') {
          if (outcome.kind === 'paused') consumer.seek({ topic: batch.topic, partition: batch.partition, offset: item.message.offset });
          return outcome;
        }
      }
      resolveOffset(item.message.offset);
    }
    await heartbeat();
    return done;
  }

  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
  // Offsets are committed once a second, not after every batch: a crash redelivers at most a
  // second of events, which the inbox absorbs, and Kafka gets a fraction of the requests. (With
  // kafkajs's autoCommit, eachBatch commits after every partition's batch, whatever the interval.)
  let commitResolved: (() => Promise<void>) | undefined;
  let committing: Promise<void> | undefined;
  const commit = (): Promise<void> =>
    (committing ??= (async () => {
      try {
        // Sends nothing when no offset moved since the last commit.
        await commitResolved?.();
      } catch (error) {
        // Not a member any more (a rebalance) or Kafka unreachable: the next owner gets these again.
        logger.debug({ err: messageOf(error) }, 'offsets not committed');
      } finally {
        committing = undefined;
      }
    })());
  const commitTimer = setInterval(() => void commit(), COMMIT_INTERVAL_MS);
  commitTimer.unref();
  consumer.on(consumer.events.REBALANCING, () => void commit());
  const inFlight = new Set<Promise<unknown>>();

  // Not awaited: joining the group can take a session timeout (a dead member's partitions are
  // held until then), and the service must answer meanwhile.
  void consumer.run({
    // Every partition of a fetch at once: their first attempts join into one batch (coalesce),
    // and the fetch's linger below is waited once, not once per wave of partitions.
    partitionsConsumedConcurrently: options.concurrency ?? options.topics.length * TOPIC_PARTITIONS,
    eachBatchAutoResolve: false,
    autoCommit: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary, uncommittedOffsets }) => {
      // Stopping: leave the batch unresolved, for the next owner.
      if (!running) return;
      // From this batch: kafkajs builds a new group (and new functions) when it restarts after a crash.
      commitResolved = () => commitOffsetsIfNecessary(uncommittedOffsets());
      const processing = processBatch(batch, resolveOffset, heartbeat, () => isRunning() && !isStale());
      inFlight.add(processing);
      const outcome = await processing.finally(() => inFlight.delete(processing));
      // kafkajs fetches again once every batch of this fetch is handled: the batches wait together.
      if (outcome.kind === 'done' && running) await sleep(FETCH_LINGER_MS);
      if (outcome.kind === 'paused') {
        // Start again from the record that paused it (sought above) when the partition resumes.
        const resumeInMs = Math.max(100, outcome.resumeInMs);
        const resume = pause();
        logger.info({ topic: batch.topic, partition: batch.partition, resumeInMs }, 'partition paused');
        setTimeout(() => {
          if (running) resume();
        }, resumeInMs).unref();
      }
    },
  });

  const lag = startLagReporter({ kafka: options.kafka, groupId, topics: options.topics, metrics });

  return {
    consumer,
    async stop() {
      running = false;
      clearInterval(commitTimer);
      // What was handled is committed before the group is left, so a restart does not redo it.
      await Promise.allSettled([...inFlight]);
      await committing; // a commit already under way may not hold the last offsets
      await commit();
      await lag.stop();
      await consumer.disconnect();
    },
  };
}
