/**
 * One record as `tail events --json` prints it: a flat object per line, the same fields for
 * every record, so `jq` filters need no special case. A record that is not a valid event keeps
 * its place with `type: null`, why it is invalid, and its raw value.
 */
import type { WatchedRecord } from './event-stream.js';

export interface RecordJson {
  /** When Kafka stored the record (ISO 8601); the event's own time is in headers.ce_time. */
  time: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  type: string | null;
  orderId: string | null;
  id: string | null;
  headers: Record<string, string>;
  data?: unknown;
  invalid?: { kind: string; message: string };
  raw?: string | null;
}

export function recordJson(record: WatchedRecord): RecordJson {
  const base = {
    time: new Date(record.timestamp).toISOString(),
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
  };
  if (record.event) {
    return { ...base, type: record.event.type, orderId: record.event.subject, id: record.event.id, headers: record.headers, data: record.event.data };
  }
  return {
    ...base,
    type: null,
    orderId: null,
    id: record.headers.ce_id ?? null,
    headers: record.headers,
    invalid: { kind: record.invalid?.kind ?? 'malformed', message: record.invalid?.message ?? 'not a saga event' },
    raw: record.raw ?? null,
  };
}
