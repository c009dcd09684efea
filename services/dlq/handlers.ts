/**
 * The dlq consumer: every record on dlq-events becomes a row in dead_letters, a batch at a time,
 * offsets committed only once the rows are stored. It is the end of the line, so it is written
 * on kafkajs directly rather than with the kit's saga consumer: it never dead-letters anything
 * and never gives up on a record.
 *   - a record that is not a valid DeadLettered event is stored as `malformed` (see dead-letter.ts);
 *   - the database being unreachable holds the batch until it is back;
 *   - a row the database still refuses is stored on its own, then in a minimal form, then (only
 *     if even that fails) logged and passed over, so one record cannot stop the queue;
 *   - if the kafkajs consumer crashes without restarting itself, a new one is started.
 */
import type { Consumer, KafkaMessage } from 'kafkajs';
import { TOPICS } from '../events/index.js';
import { backoffDelay, CONSUMER_TIMINGS, isConnectionError, messageOf, retry, sleep, startLagReporter, type ServiceKit } from '../kit/index.js';
import { toDeadLetter, type DeadLetter, type DeadLetterKind } from './dead-letter.js';
import { insertDeadLetters } from './store.js';

export interface DeadLetterConsumer {
  stop(): Promise<void>;
}

export interface DeadLetterConsumerOptions {
  groupId: string;
  /** Called for each dead letter stored for the first time. */
  onStored: (stored: { id: string; topic: string; kind: DeadLetterKind }[]) => void;
}

class Stopping extends Error {}

export async function startDeadLetterConsumer(kit: ServiceKit, options: DeadLetterConsumerOptions): Promise<DeadLetterConsumer> {
  const { groupId } = options;
  const logger = kit.logger.child({ component: 'consumer', group: groupId });
  let running = true;
  let consumer: Consumer | undefined;
  let relaunch: NodeJS.Timeout | undefined;

  /** Runs `store` until it works, waiting out database outages (never for a bad row). */
  async function untilStored<T>(store: () => Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await store();
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        if (!running) throw new Stopping('stopping', { cause: error });
        if (attempt === 1 || attempt % 10 === 0) logger.warn({ err: messageOf(error), attempt }, 'database unavailable; holding dead letters until it is back');
        await sleep(backoffDelay(Math.min(attempt, 6), { initialMs: 200, maxMs: 5000 }));
        await heartbeat().catch(() => {});
      }
    }
  }

  type Stored = Awaited<ReturnType<typeof insertDeadLetters>>;

  async function storeOneByOne(letters: DeadLetter[], heartbeat: () => Promise<void>): Promise<Stored> {
    const stored: Stored = [];
    for (const letter of letters) {
      try {
        stored.push(...(await untilStored(() => insertDeadLetters(kit.pool, [letter]), heartbeat)));
      } catch (error) {
        if (error instanceof Stopping) throw error;
        logger.error({ err: messageOf(error), id: letter.id, origin: letter.origin.topic }, 'the database refused a dead letter; storing it without its record');
        const minimal: DeadLetter = { ...letter, origin: { ...letter.origin, headers: {}, value: null, valueEncoding: 'utf8' }, error: { kind: letter.error.kind, message: `stored without its record, which the database refused (${messageOf(error)}): ${letter.error.message}`.slice(0, 2000) } };
        try {
          stored.push(...(await untilStored(() => insertDeadLetters(kit.pool, [minimal]), heartbeat)));
        } catch (again) {
          if (again instanceof Stopping) throw again;
          logger.error({ err: messageOf(again), id: letter.id }, 'could not store this dead letter at all; passing over it');
        }
      }
    }
    return stored;
  }

  async function store(messages: KafkaMessage[], partition: number, heartbeat: () => Promise<void>): Promise<Stored> {
    const letters = messages.map((message) => toDeadLetter(message, { topic: TOPICS.dlqEvents, partition, offset: message.offset }));
    try {
      return await untilStored(() => insertDeadLetters(kit.pool, letters), heartbeat);
    } catch (error) {
      if (error instanceof Stopping) throw error;
      return storeOneByOne(letters, heartbeat);
    }
  }

  async function launch(): Promise<void> {
    const c = kit.kafka.consumer({ groupId, ...CONSUMER_TIMINGS, allowAutoTopicCreation: false });
    consumer = c;
    c.on(c.events.CRASH, ({ payload }) => {
      if (payload.restart || !running) return;
      logger.error({ err: messageOf(payload.error) }, 'consumer crashed; starting a new one in 5 s');
      relaunch = setTimeout(() => void launch().catch((error) => logger.error({ err: messageOf(error) }, 'could not restart the consumer')), 5000);
    });
    try {
      await c.connect();
      await c.subscribe({ topics: [TOPICS.dlqEvents], fromBeginning: true });
    } catch (error) {
      await c.disconnect().catch(() => {});
      throw error;
    }
    // Not awaited: the group join may wait out a dead member's session; the service answers meanwhile.
    void c.run({
      partitionsConsumedConcurrently: 3,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        let stored: Stored;
        try {
          stored = await store(batch.messages, batch.partition, heartbeat);
        } catch (error) {
          // Stopping: leave the batch uncommitted; the next consumer starts from it again.
          if (error instanceof Stopping) return;
          throw error;
        }
        if (stored.length > 0) {
          options.onStored(stored);
          logger.info({ stored: stored.length, duplicates: batch.messages.length - stored.length, partition: batch.partition }, 'dead letters stored');
        }
        resolveOffset(batch.messages.at(-1)!.offset);
        await heartbeat();
      },
    });
  }

  await retry(launch, { attempts: 40, initialMs: 200, maxMs: 2000, isRetriable: () => true });
  const lag = startLagReporter({ kafka: kit.kafka, groupId, topics: [TOPICS.dlqEvents], metrics: kit.metrics });

  return {
    async stop() {
      running = false;
      clearTimeout(relaunch);
      await lag.stop();
      await consumer?.disconnect();
    },
  };
}
