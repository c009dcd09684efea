import { randomUUID } from 'node:crypto';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createEvent, encodeEvent } from '../../services/events/index.js';
import { toWatched } from './event-stream.js';
import { recordJson } from './record-json.js';

const message = (key: string | null, value: string, headers: Record<string, string>): KafkaMessage =>
  ({ key: key === null ? null : Buffer.from(key), value: Buffer.from(value), headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)])), offset: '42', timestamp: '1700000000123', attributes: 0 }) as KafkaMessage;

describe('tail events --json', () => {
  it('prints an event as {time, topic, partition, offset, key, type, orderId, id, headers, data}', () => {
    const orderId = randomUUID();
    const event = createEvent({ type: 'OrderCancelled', source: 'order', data: { orderId, reason: 'payment declined', cancelledAt: new Date().toISOString() } });
    const encoded = encodeEvent(event);
    const json = recordJson(toWatched(encoded.topic, 3, message(encoded.key, encoded.value, encoded.headers)));
    expect(Object.keys(json)).toEqual(['time', 'topic', 'partition', 'offset', 'key', 'type', 'orderId', 'id', 'headers', 'data']);
    expect(json).toMatchObject({ time: '2023-11-14T22:13:20.123Z', topic: 'order-events', partition: 3, offset: '42', key: orderId, type: 'OrderCancelled', orderId, id: event.id, data: event.data });
    expect(json.headers.ce_type).toBe('OrderCancelled');
  });

  it('prints a record that is not an event with type null, why, and its raw value', () => {
    const json = recordJson(toWatched('order-events', 0, message('poison-1', 'this is not json', {})));
    expect(json).toMatchObject({ topic: 'order-events', key: 'poison-1', type: null, orderId: null, id: null, invalid: { kind: 'malformed' }, raw: 'this is not json' });
    expect(json.invalid!.message).toContain('not a CloudEvent');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
