/**
 * Which records `tail events` shows: by order (a whole id or a prefix of at least 8
 * characters), by event type and by topic. A record that is not a valid event has no type; it
 * is matched on the type it claims (its ce_type header) and on its key as the order, so a
 * poison record for an order still shows under `--order`.
 */
import type { WatchedRecord } from './event-stream.js';

export interface EventFilterOptions {
  order?: string;
  types?: readonly string[];
  topics?: readonly string[];
}

/** The shortest order-id prefix `--order` accepts: 8 hex digits, the short id every line shows. */
export const MIN_ORDER_PREFIX = 8;

/** Checks an `--order` value: a UUID or a prefix of one of at least 8 characters; answers it in lower case. */
export function parseOrderPrefix(value: string): string {
  const id = value.trim().toLowerCase();
  if (id.length < MIN_ORDER_PREFIX || id.length > 36 || !/^[0-9a-f][0-9a-f-]*$/.test(id)) {
    throw new Error(`--order must be an order id or its first ${MIN_ORDER_PREFIX}+ characters (hex digits and dashes), not "${value}"`);
  }
  return id;
}

export function createEventFilter(options: EventFilterOptions): (record: WatchedRecord) => boolean {
  const order = options.order?.toLowerCase();
  const types = options.types && options.types.length > 0 ? new Set(options.types) : undefined;
  const topics = options.topics && options.topics.length > 0 ? new Set(options.topics) : undefined;
  return (record) => {
    if (topics && !topics.has(record.topic)) return false;
    const type = record.event?.type ?? record.invalid?.type ?? record.headers.ce_type;
    if (types && (!type || !types.has(type))) return false;
    if (order) {
      const id = record.event?.subject ?? record.headers.ce_subject ?? record.key;
      if (!id || !id.toLowerCase().startsWith(order)) return false;
    }
    return true;
  };
}
