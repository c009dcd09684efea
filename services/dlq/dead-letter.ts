/**
 * A dead letter as the dlq service stores it, read from a record on `dlq-events`, and the record
 * it replays. Pure and total: whatever arrives on the topic becomes a dead letter (a record that
 * is not a valid DeadLettered event is kept as kind `malformed` with what could be read), because
 * the one consumer that must never lose or refuse a record is the one at the end of the line.
 */
import { decodeEvent, deadLetteredSchema, headersOf, recordValue, REPLAY_FOR_HEADER, TOPICS, traceIdOf, type DeadLettered, type RawRecord } from '../events/index.js';
import { stableUuid } from '../kit/index.js';

export type DeadLetterKind = DeadLettered['error']['kind'];
export type Origin = DeadLettered['origin'];

export interface DeadLetter {
  /** The DeadLettered event's ce_id, so a re-sent dead letter is stored once. */
  id: string;
  origin: Origin;
  consumer: string;
  error: { kind: DeadLetterKind; message: string };
  attempts: number;
  deadLetteredAt: Date;
  traceId: string | null;
}

/** Where a record was read: the dlq-events topic, its partition and offset. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** Longest error message kept; the full record is kept anyway. */
const MAX_MESSAGE = 2000;

// PostgreSQL text cannot hold U+0000: such text is kept with a replacement character, and a value
// holding one is kept as base64 instead, so that replay still produces the very same bytes.
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
const text = (s: string) => s.replace(NUL, '\uFFFD');

function storableOrigin(origin: Origin): Origin {
  const headers = Object.fromEntries(Object.entries(origin.headers).map(([k, v]) => [text(k), text(v)]));
  const binaryText = origin.value !== null && origin.valueEncoding === 'utf8' && origin.value.includes('\u0000');
  return {
    ...origin,
    topic: text(origin.topic),
    offset: text(origin.offset),
    key: origin.key === null ? null : text(origin.key),
    headers,
    ...(binaryText ? { value: Buffer.from(origin.value!, 'utf8').toString('base64'), valueEncoding: 'base64' as const } : {}),
  };
}

function validDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A record on dlq-events that is not a valid DeadLettered event: kept with what could be read. */
function malformed(record: RawRecord, at: RecordPosition, reason: string): DeadLetter {
  const headers = headersOf(record);
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(record.value?.toString() ?? '');
    if (parsed && typeof parsed === 'object') json = parsed as Record<string, unknown>;
  } catch {
    // not JSON: nothing more to read than the record itself
  }
  // When its origin is intact, the record it speaks of can still be replayed; otherwise the
  // record itself is the origin (and it cannot be replayed anywhere useful).
  const origin = deadLetteredSchema.shape.origin.safeParse(json.origin);
  const error = json.error as { message?: unknown } | undefined;
  const said = typeof error?.message === 'string' ? `; it said: ${error.message}` : '';
  const ceId = headers.ce_id;
  return {
    id: text(ceId && ceId.length <= 200 ? ceId : stableUuid(`${at.topic}|${at.partition}|${at.offset}`)),
    origin: storableOrigin(origin.success ? origin.data : { topic: at.topic, partition: at.partition, offset: at.offset, key: record.key?.toString() ?? null, headers, ...recordValue(record.value) }),
    consumer: text(typeof json.consumer === 'string' ? json.consumer : UNKNOWN_CONSUMER),
    error: { kind: 'malformed', message: text(`not a valid DeadLettered event (${reason})${said}`).slice(0, MAX_MESSAGE) },
    attempts: Number.isInteger(json.attempts) && (json.attempts as number) >= 0 ? (json.attempts as number) : 0,
    deadLetteredAt: validDate(json.deadLetteredAt) ?? validDate(headers.ce_time) ?? new Date(),
    traceId: traceIdOf(headers.traceparent) ?? null,
  };
}

/** The dead letter a record on dlq-events stands for. Never throws. */
export function toDeadLetter(record: RawRecord, at: RecordPosition): DeadLetter {
  const decoded = decodeEvent(record);
  if (!decoded.ok) return malformed(record, at, decoded.message);
  if (decoded.event.type !== 'DeadLettered') return malformed(record, at, `a ${decoded.event.type} event has no place on ${TOPICS.dlqEvents}`);
  const data = decoded.event.data as DeadLettered;
  return {
    id: text(decoded.event.id),
    origin: storableOrigin(data.origin),
    consumer: text(data.consumer),
    error: { kind: data.error.kind, message: text(data.error.message).slice(0, MAX_MESSAGE) },
    attempts: data.attempts,
    deadLetteredAt: new Date(data.deadLetteredAt),
    traceId: traceIdOf(decoded.event.traceparent) ?? null,
  };
}

/** Whether a dead letter names a record that can be sent back (not a malformed dlq-events record). */
export function isReplayable(deadLetter: Pick<DeadLetter, 'origin'>): boolean {
  return deadLetter.origin.topic !== TOPICS.dlqEvents;
}

/** The header a replayed record carries: the id of the dead letter it came from. */
export const REPLAYED_FROM_HEADER = 'x-replayed-from';

/** A dead letter whose consumer group is not known (a malformed record on dlq-events) names none. */
const UNKNOWN_CONSUMER = 'unknown';

/**
 * The original record again, with its key, value and headers, marked as replayed and addressed
 * to the consumer groups that dead-lettered it (`groups`: every dead letter of this one record
 * being replayed). When one of them does not name its group, the record goes to every group.
 */
export function replayRecord(deadLetter: Pick<DeadLetter, 'id' | 'origin'>, groups: readonly string[]): { topic: string; key: string | null; value: Buffer | string | null; headers: Record<string, string> } {
  const { origin } = deadLetter;
  const value = origin.value === null ? null : origin.valueEncoding === 'base64' ? Buffer.from(origin.value, 'base64') : origin.value;
  const addressed = groups.length > 0 && !groups.includes(UNKNOWN_CONSUMER);
  // A record replayed before carries its earlier address: this replay decides anew.
  const { [REPLAY_FOR_HEADER]: _earlier, ...headers } = origin.headers;
  return { topic: origin.topic, key: origin.key, value, headers: { ...headers, [REPLAYED_FROM_HEADER]: deadLetter.id, ...(addressed ? { [REPLAY_FOR_HEADER]: [...new Set(groups)].join(',') } : {}) } };
}
