import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
// The kit's Kafka module, as every service loads it: it must install the replacement.
import './kafka.js';
import { sleep } from './retry.js';

interface Queue {
  pending: unknown[];
  push(request: object): void;
  fulfillRequest(response: { correlationId: number; payload: null; size: number }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
  destroy(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => Queue;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A real kafkajs request queue of one broker connection; `sent` lists the requests it put on the wire. */
function connectionQueue(maxInFlightRequests: number | null = null) {
  const queue = new RequestQueue({ maxInFlightRequests, requestTimeout: 5000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:9092', logger: quiet });
  const sent: number[] = [];
  let checks = 0;
  const check = queue.checkPendingRequests.bind(queue);
  queue.checkPendingRequests = () => {
    checks += 1;
    check();
  };
  const request = (correlationId: number) =>
    new Promise((resolve, reject) =>
      queue.push({ entry: { correlationId, apiKey: 3, apiName: 'Metadata', apiVersion: 6, resolve, reject }, expectResponse: true, sendRequest: () => sent.push(correlationId) }),
    );
  const answer = (correlationId: number) => queue.fulfillRequest({ correlationId, payload: null, size: 0 });
  return { queue, sent, request, answer, checks: () => checks };
}

describe('kafkajs request queue', () => {
  it('does not look at an empty queue again and again once a request is answered', async () => {
    const { queue, request, answer, checks } = connectionQueue();
    const done = request(1);
    answer(1);
    await done;
    await sleep(100);
    // kafkajs 2.2.4 looked about once a millisecond from here on, forever.
    expect(checks()).toBe(1);
    queue.destroy();
  });

  it('still sends a request that waited for a free in-flight slot when the slot frees', async () => {
    const { queue, sent, request, answer } = connectionQueue(1);
    const first = request(1);
    const second = request(2);
    expect(sent).toEqual([1]);
    answer(1);
    await first;
    expect(sent).toEqual([1, 2]);
    answer(2);
    await second;
    queue.destroy();
  });

  it('still sends a request held back by a broker throttle once the throttle ends', async () => {
    const { queue, sent, request, answer } = connectionQueue();
    queue.maybeThrottle(40);
    const held = request(1);
    expect(sent).toEqual([]);
    await sleep(20);
    expect(sent).toEqual([]);
    await sleep(120);
    expect(sent).toEqual([1]);
    answer(1);
    await held;
    queue.destroy();
  });
});
