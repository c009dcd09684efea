import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { readGroupLag } from './consumer-lag.js';

/** Just the two admin calls the lag needs, answering from tables. */
function fakeAdmin(committed: Record<string, Record<number, string>>, ends: Record<string, Record<number, string>>) {
  const asked: unknown[] = [];
  const admin = {
    async fetchOffsets(options: { groupId: string; topics?: string[] }) {
      asked.push(options);
      return Object.entries(committed)
        .filter(([topic]) => !options.topics || options.topics.includes(topic))
        .map(([topic, parts]) => ({ topic, partitions: Object.entries(parts).map(([partition, offset]) => ({ partition: Number(partition), offset, metadata: null })) }));
    },
    async fetchTopicOffsets(topic: string) {
      return Object.entries(ends[topic] ?? {}).map(([partition, high]) => ({ partition: Number(partition), offset: high, high, low: '0' }));
    },
  };
  return { admin: admin as unknown as Admin, asked };
}

describe('consumer lag read from Kafka', () => {
  it('is end minus committed per partition, a whole partition when nothing was committed, never below zero', async () => {
    const { admin, asked } = fakeAdmin({ 'order-events': { 0: '10', 1: '-1', 2: '50' } }, { 'order-events': { 0: '15', 1: '7', 2: '40' } });
    expect(await readGroupLag(admin, 'payment-service', ['order-events'])).toEqual([{ group: 'payment-service', topic: 'order-events', lag: 5 + 7 + 0 }]);
    expect(asked).toEqual([{ groupId: 'payment-service', topics: ['order-events'] }]);
  });

  it('covers every committed topic when none are named', async () => {
    const { admin, asked } = fakeAdmin({ 'order-events': { 0: '1' }, 'payment-events': { 0: '2' } }, { 'order-events': { 0: '3' }, 'payment-events': { 0: '2' } });
    expect(await readGroupLag(admin, 'notification-service', [])).toEqual([
      { group: 'notification-service', topic: 'order-events', lag: 2 },
      { group: 'notification-service', topic: 'payment-events', lag: 0 },
    ]);
    expect(asked).toEqual([{ groupId: 'notification-service' }]);
  });
});
