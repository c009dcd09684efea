/**
 * CloudEvents 1.0, Kafka protocol binding, binary mode: the attributes travel as `ce_*` headers,
 * the value is the JSON `data`, the key is the order id. Every service and the CLI encode and
 * decode events only through these two functions.
 */
import { randomUUID } from 'node:crypto';
import { EVENTS, isEventType, type EventDataMap, type EventType } from './catalogue.js';
import type { Topic } from './topics.js';
import { childTraceparent } from './trace-context.js';

export interface SagaEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  source: string;
  time: string;
  /** The order id. */
  subject: string | null;
  traceparent: string;
  data: EventDataMap[T];
}

/** What kafkajs sends (and what the outbox stores). */
export interface EncodedEvent {
  topic: Topic;
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

export interface NewEvent<T extends EventType> {
  type: T;
  /** The emitting service, e.g. `order` (becomes `ce_source: /services/order`). */
  source: string;
  data: EventDataMap[T];
  /** The traceparent of what caused it; a child span is derived, or a new trace started. */
  cause?: string;
  id?: string;
  time?: Date;
}

function subjectOf(type: EventType, data: unknown): string | null {
  if (type === 'DeadLettered') return (data as EventDataMap['DeadLettered']).origin.key;
  return (data as { orderId: string }).orderId;
}

/** Builds an event (validating its data: emitting a wrong event is a programming error). */
export function createEvent<T extends EventType>(event: NewEvent<T>): SagaEvent<T> {
  const data = EVENTS[event.type].schema.parse(event.data) as EventDataMap[T];
  return {
    id: event.id ?? randomUUID(),
    type: event.type,
    source: `/services/${event.source}`,
    time: (event.time ?? new Date()).toISOString(),
    subject: subjectOf(event.type, data),
    traceparent: childTraceparent(event.cause),
    data,
  };
}

export function encodeEvent(event: SagaEvent): EncodedEvent {
  const headers: Record<string, string> = {
    ce_specversion: '1.0',
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_time: event.time,
    traceparent: event.traceparent,
    'content-type': 'application/json',
  };
  if (event.subject !== null) headers.ce_subject = event.subject;
  return { topic: EVENTS[event.type].topic, key: event.subject, value: JSON.stringify(event.data), headers };
}

/** A Kafka record as kafkajs hands it over. */
/**
 * A record replayed from the DLQ names the consumer groups it is replayed for (comma-separated):
 * the groups that dead-lettered it. Every other group reading the topic passes it by — it handled
 * the original already, or dead-lettered it itself and has its own dead letter to replay.
 */
export const REPLAY_FOR_HEADER = 'x-replay-for';

/** Whether a consumer group should handle a record (a replayed record only for the groups it names). */
export function isForGroup(headers: Record<string, string>, groupId: string): boolean {
  const replayFor = headers[REPLAY_FOR_HEADER];
  return replayFor === undefined || replayFor.split(',').includes(groupId);
}

export interface RawRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export type DecodeFailure = { ok: false; kind: 'malformed' | 'unknown-type' | 'invalid'; message: string; type?: string; id?: string };
export type Decoded = { ok: true; event: SagaEvent } | DecodeFailure;

/** A record's value as text when it is valid UTF-8, as base64 otherwise (so that it can be sent again byte for byte). */
export function recordValue(value: RawRecord['value']): { value: string | null; valueEncoding: 'utf8' | 'base64' } {
  if (value === null) return { value: null, valueEncoding: 'utf8' };
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { value: text, valueEncoding: 'utf8' } : { value: bytes.toString('base64'), valueEncoding: 'base64' };
}

/** Header values as strings (the last one wins when a header repeats). */
export function headersOf(record: RawRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) out[name] = last.toString();
  }
  return out;
}

/** Decodes and validates a record; never throws: a bad record is a value the caller dead-letters. */
export function decodeEvent(record: RawRecord): Decoded {
  const headers = headersOf(record);
  const type = headers.ce_type;
  const id = headers.ce_id;
  if (!type || !id || headers.ce_specversion !== '1.0') {
    return { ok: false, kind: 'malformed', message: 'not a CloudEvent: ce_specversion 1.0, ce_id and ce_type headers are required', type, id };
  }
  if (!isEventType(type)) return { ok: false, kind: 'unknown-type', message: `unknown event type "${type}"`, type, id };
  let json: unknown;
  try {
    json = JSON.parse(record.value?.toString() ?? '');
  } catch (error) {
    return { ok: false, kind: 'malformed', message: `value is not JSON: ${(error as Error).message}`, type, id };
  }
  const parsed = EVENTS[type].schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, kind: 'invalid', message: `${type} data invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`, type, id };
  }
  return {
    ok: true,
    event: {
      id,
      type,
      source: headers.ce_source ?? 'unknown',
      time: headers.ce_time ?? new Date(0).toISOString(),
      subject: headers.ce_subject ?? record.key?.toString() ?? null,
      traceparent: headers.traceparent ?? '',
      data: parsed.data,
    },
  };
}
