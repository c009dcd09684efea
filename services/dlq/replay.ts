/**
 * Replay: each dead letter's original record is produced again to its original topic, with its
 * original key, value and headers (plus `x-replayed-from`), through the service's own idempotent
 * producer, then marked replayed. The rows stay locked from reading to marking, so two replays
 * of the same dead letters cannot both send them. A replayed record is addressed (`x-replay-for`)
 * to the consumer groups whose dead letters are replayed, once for all of them; the other groups
 * reading its topic pass it by. If marking fails after
 * Kafka took the records, they stay `stored` and a later replay sends them again, which the
 * consumers' inboxes absorb: replay is at least once, never lost.
 */
import type { Admin } from 'kafkajs';
import { ConflictError, isConnectionError, messageOf, NotFoundError, UnavailableError, withTransaction, type OutgoingRecord, type ServiceKit } from '../kit/index.js';
import { isReplayable, replayRecord, type DeadLetterKind } from './dead-letter.js';
import { lockForReplay, markReplayed, resolveIds, storedIds, type StoredDeadLetter } from './store.js';

export interface ReplayRequest {
  ids?: string[];
  all?: boolean;
}

export interface Replayed {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  replayedAt: Date;
  replayCount: number;
  /** Why it was dead-lettered: a malformed, unknown or invalid record fails the same way again. */
  errorKind: DeadLetterKind;
}

export interface ReplayResult {
  replayed: Replayed[];
  /** With `all`: dead letters left alone, and why. */
  skipped: { id: string; reason: string }[];
}

/** Records sent per Kafka request and per transaction. */
const CHUNK = 500;

export interface Replayer {
  replay(request: ReplayRequest): Promise<ReplayResult>;
  close(): Promise<void>;
}

export function createReplayer(kit: ServiceKit, onReplayed: (count: number) => void): Replayer {
  let admin: Admin | undefined;

  /** Topics that exist (a record for a missing one would keep the producer retrying for half a minute). */
  async function existingTopics(): Promise<Set<string>> {
    try {
      if (!admin) {
        const a = kit.kafka.admin();
        await a.connect();
        admin = a;
      }
      return new Set(await admin.listTopics());
    } catch (error) {
      await admin?.disconnect().catch(() => {});
      admin = undefined;
      throw new UnavailableError('Kafka is unavailable; nothing was replayed', { cause: error });
    }
  }

  function whyNot(letter: StoredDeadLetter, topics: Set<string>): string | undefined {
    if (!isReplayable(letter)) return `it is a malformed record of ${letter.origin.topic} itself, with no origin to send it back to`;
    if (!topics.has(letter.origin.topic)) return `its topic ${letter.origin.topic} does not exist`;
    return undefined;
  }

  /** Sends and marks one chunk in one transaction; `strict` refuses the chunk if any one cannot go. */
  async function replayChunk(ids: string[], strict: boolean, result: ReplayResult): Promise<void> {
    await withTransaction(kit.pool, async (client) => {
      const letters = await lockForReplay(client, ids, { onlyStored: !strict });
      const topics = await existingTopics();
      const refused = letters.map((letter) => ({ id: letter.id, reason: whyNot(letter, topics) })).filter((r): r is { id: string; reason: string } => r.reason !== undefined);
      if (strict && refused.length > 0) {
        throw new ConflictError(refused.map((r) => `dead letter ${r.id} cannot be replayed: ${r.reason}`).join('; '), { refused });
      }
      result.skipped.push(...refused);
      const sendable = letters.filter((letter) => !refused.some((r) => r.id === letter.id));
      if (sendable.length === 0) return;

      // Several consumer groups may have given up on the same record: it goes back once, for them
      // (and only them). Each goes back to the partition it came from, so one order's records keep their order.
      const byRecord = new Map<string, StoredDeadLetter[]>();
      for (const letter of sendable) {
        const { topic, partition, offset } = letter.origin;
        const same = byRecord.get(`${topic}|${partition}|${offset}`) ?? [];
        same.push(letter);
        byRecord.set(`${topic}|${partition}|${offset}`, same);
      }
      const records: OutgoingRecord[] = [...byRecord.values()].map((same) => {
        const { topic, partition } = same[0]!.origin;
        const { key, value, headers } = replayRecord(same[0]!, same.map((l) => l.consumer));
        return { topic, partition, key, value, headers };
      });
      const replayedTopics = new Set(records.map((r) => r.topic));
      try {
        const { unacked } = await kit.publisher.publish(records);
        if (unacked.length > 0) throw new Error(`Kafka did not acknowledge ${unacked.join(', ')}`);
      } catch (error) {
        throw new UnavailableError(`Kafka did not take the records (${messageOf(error)}); they stay stored`, { cause: error });
      }
      const marks = await markReplayed(client, sendable.map((l) => l.id));
      for (const letter of sendable) {
        const mark = marks.get(letter.id)!;
        result.replayed.push({ id: letter.id, topic: letter.origin.topic, partition: letter.origin.partition, offset: letter.origin.offset, key: letter.origin.key, ...mark, errorKind: letter.error.kind });
      }
      kit.logger.info({ replayed: sendable.length, records: records.length, topics: [...replayedTopics] }, 'dead letters replayed');
    });
  }

  /** The ids the references name; 404 for one that names none, 409 for one that names several. */
  async function resolve(refs: string[]): Promise<string[]> {
    const found = await resolveIds(kit.pool, refs);
    const unknown = refs.filter((ref) => found.get(ref)!.length === 0);
    if (unknown.length > 0) throw new NotFoundError(`there is no dead letter ${unknown.join(', ')}`, { unknown });
    const ambiguous = refs.filter((ref) => found.get(ref)!.length > 1);
    if (ambiguous.length > 0) {
      throw new ConflictError(ambiguous.map((ref) => `"${ref}" is the start of ${found.get(ref)!.length} dead letter ids; give more of it`).join('; '), { ambiguous: Object.fromEntries(ambiguous.map((ref) => [ref, found.get(ref)])) });
    }
    return [...new Set(refs.map((ref) => found.get(ref)![0]!))];
  }

  return {
    async replay(request) {
      const result: ReplayResult = { replayed: [], skipped: [] };
      try {
        if (request.all) {
          // Only what is stored now: a record that fails again while we replay waits for the next replay.
          const ids = await storedIds(kit.pool);
          for (let i = 0; i < ids.length; i += CHUNK) await replayChunk(ids.slice(i, i + CHUNK), false, result);
        } else {
          await replayChunk(await resolve(request.ids ?? []), true, result);
        }
      } catch (error) {
        if (isConnectionError(error)) throw new UnavailableError(`the dlq database is unavailable${result.replayed.length > 0 ? ` after ${result.replayed.length} were replayed` : ''}; try again shortly`, { cause: error });
        throw error;
      } finally {
        if (result.replayed.length > 0) onReplayed(result.replayed.length);
      }
      return result;
    },
    async close() {
      await admin?.disconnect().catch(() => {});
    },
  };
}
