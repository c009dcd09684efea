import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, encodeEvent, type RawRecord } from '../events/index.js';
import { deadLetterEvent } from '../kit/index.js';
import { isReplayable, replayRecord, toDeadLetter } from './dead-letter.js';

const at = { topic: 'dlq-events', partition: 3, offset: '41' };
const orderId = randomUUID();

/** A record as kafkajs hands it over, from an encoded event. */
function raw(encoded: { key: string | null; value: string; headers: Record<string, string> }): RawRecord {
  return { key: encoded.key === null ? null : Buffer.from(encoded.key), value: Buffer.from(encoded.value), headers: Object.fromEntries(Object.entries(encoded.headers).map(([k, v]) => [k, Buffer.from(v)])) };
}

/** The DeadLettered record a consumer sends for a poison record on order-events. */
function deadLettered(poison: { value: Buffer | null; headers?: Record<string, Buffer> }) {
  const event = deadLetterEvent({
    service: 'notification',
    consumer: 'notification-service',
    topic: 'order-events',
    partition: 2,
    message: { key: Buffer.from(orderId), value: poison.value, headers: poison.headers ?? {}, offset: '17', timestamp: '0', attributes: 0 },
    kind: 'malformed',
    error: 'value is not JSON',
    attempts: 0,
  });
  return { event, record: raw(encodeEvent(event)) };
}

describe('toDeadLetter', () => {
  it('reads a DeadLettered event: its id, the origin record, the consumer, the error', () => {
    const { event, record } = deadLettered({ value: Buffer.from('{oops'), headers: { 'x-test': Buffer.from('1') } });
    expect(toDeadLetter(record, at)).toEqual({
      id: event.id,
      origin: { topic: 'order-events', partition: 2, offset: '17', key: orderId, headers: { 'x-test': '1' }, value: '{oops', valueEncoding: 'utf8' },
      consumer: 'notification-service',
      error: { kind: 'malformed', message: 'value is not JSON' },
      attempts: 0,
      deadLetteredAt: new Date(event.data.deadLetteredAt),
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });

  it('keeps a value holding NUL bytes as base64, so that replay sends the same bytes', () => {
    const bytes = Buffer.from('a\u0000b');
    const letter = toDeadLetter(deadLettered({ value: bytes }).record, at);
    expect(letter.origin).toMatchObject({ value: bytes.toString('base64'), valueEncoding: 'base64' });
    expect(replayRecord(letter, [letter.consumer]).value).toEqual(bytes);
  });

  it('stores a record that is not JSON, with no headers, as malformed: the record itself is the origin', () => {
    const letter = toDeadLetter({ key: Buffer.from('k1'), value: Buffer.from('garbage'), headers: {} }, at);
    expect(letter).toMatchObject({
      origin: { topic: 'dlq-events', partition: 3, offset: '41', key: 'k1', headers: {}, value: 'garbage', valueEncoding: 'utf8' },
      consumer: 'unknown',
      error: { kind: 'malformed', message: expect.stringContaining('not a valid DeadLettered event (not a CloudEvent') },
      attempts: 0,
    });
    expect(letter.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(toDeadLetter({ key: Buffer.from('k1'), value: Buffer.from('garbage'), headers: {} }, at).id).toBe(letter.id);
    expect(isReplayable(letter)).toBe(false);
  });

  it('salvages what it can of a DeadLettered event that breaks the schema: its origin stays replayable', () => {
    const { event } = deadLettered({ value: Buffer.from('{oops') });
    const encoded = encodeEvent(event);
    const data = { ...event.data, error: { kind: 'exploded', message: 'boom' } };
    const letter = toDeadLetter(raw({ ...encoded, value: JSON.stringify(data) }), at);
    expect(letter).toMatchObject({
      id: event.id,
      origin: { topic: 'order-events', partition: 2, offset: '17', key: orderId, value: '{oops' },
      consumer: 'notification-service',
      error: { kind: 'malformed', message: expect.stringMatching(/^not a valid DeadLettered event \(DeadLettered data invalid at error\.kind.*it said: boom$/) },
    });
    expect(isReplayable(letter)).toBe(true);
  });

  it('stores another event type on dlq-events as malformed', () => {
    const cancelled = createEvent({ type: 'OrderCancelled', source: 'order', data: { orderId, reason: 'x', cancelledAt: new Date().toISOString() } });
    const letter = toDeadLetter(raw(encodeEvent(cancelled)), at);
    expect(letter.error).toEqual({ kind: 'malformed', message: 'not a valid DeadLettered event (a OrderCancelled event has no place on dlq-events)' });
    expect(letter.id).toBe(cancelled.id);
  });

  it('keeps a binary value as base64 and never throws, whatever arrives', () => {
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x01]);
    const letter = toDeadLetter({ key: null, value: binary, headers: { 'bad\u0000name': Buffer.from('v\u0000') } }, at);
    expect(letter.origin).toMatchObject({ key: null, value: binary.toString('base64'), valueEncoding: 'base64', headers: { 'bad\uFFFDname': 'v\uFFFD' } });
    expect(toDeadLetter({ key: null, value: null }, at).origin).toMatchObject({ value: null, valueEncoding: 'utf8' });
  });
});

describe('replayRecord', () => {
  it('is the original record: topic, key, value and headers, plus x-replayed-from', () => {
    const { record } = deadLettered({ value: Buffer.from('{oops'), headers: { ce_id: Buffer.from('abc') } });
    const letter = toDeadLetter(record, at);
    expect(replayRecord(letter, [])).toEqual({ topic: 'order-events', key: orderId, value: '{oops', headers: { ce_id: 'abc', 'x-replayed-from': letter.id } });
  });

  it('is addressed to the consumer groups that dead-lettered it, each named once; to every group when one is unknown', () => {
    const letter = toDeadLetter(deadLettered({ value: Buffer.from('{oops') }).record, at);
    expect(replayRecord(letter, ['payment-service', 'notification-service', 'payment-service']).headers).toEqual({ 'x-replayed-from': letter.id, 'x-replay-for': 'payment-service,notification-service' });
    expect(replayRecord(letter, ['payment-service', 'unknown']).headers).toEqual({ 'x-replayed-from': letter.id });
    // A record replayed once already: its earlier address does not stick.
    const again = toDeadLetter(deadLettered({ value: Buffer.from('{oops'), headers: { 'x-replay-for': Buffer.from('payment-service') } }).record, at);
    expect(replayRecord(again, ['unknown']).headers).toEqual({ 'x-replayed-from': again.id });
    expect(replayRecord(again, ['notification-service']).headers).toEqual({ 'x-replayed-from': again.id, 'x-replay-for': 'notification-service' });
  });
});
