import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetriable, ServiceError, TransientError } from '../kit/index.js';
import { createProviderClient, type ProviderClient } from './provider-client.js';

/** A stand-in provider: answers each call with the next scripted reply and remembers the requests. */
let server: Server;
let baseUrl: string;
const replies: Array<{ status: number; body?: unknown; delayMs?: number }> = [];
const seen: Array<{ headers: IncomingHttpHeaders; body: unknown; url?: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(text), url: req.url });
      const reply = replies.shift() ?? { status: 500 };
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body ?? {}));
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const request = () => ({ orderId: randomUUID(), amountCents: 1700, currency: 'EUR' as const, paymentMethod: 'card', idempotencyKey: randomUUID(), traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` });

async function withClient<T>(fn: (client: ProviderClient) => Promise<T>, timeoutMs = 1000): Promise<T> {
  const client = createProviderClient({ baseUrl, timeoutMs });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('provider client', () => {
  it('charges with the Idempotency-Key and traceparent, and reads the charge id', async () => {
    const req = request();
    replies.push({ status: 201, body: { chargeId: 'ch_1', status: 'succeeded' } });
    expect(await withClient((c) => c.charge(req))).toEqual({ outcome: 'charged', chargeId: 'ch_1', replayed: false });
    const last = seen.at(-1)!;
    expect(last.url).toBe('/charges');
    expect(last.headers['idempotency-key']).toBe(req.idempotencyKey);
    expect(last.headers.traceparent).toBe(req.traceparent);
    expect(last.body).toEqual({ orderId: req.orderId, amountCents: 1700, currency: 'EUR', paymentMethod: 'card' });
  });

  it('takes a 200 as a replayed charge and a 402 as a decline (an answer, not an error)', async () => {
    replies.push({ status: 200, body: { chargeId: 'ch_2' } }, { status: 402, body: { error: 'declined', message: 'the charge was declined: card-declined', details: { chargeId: 'ch_3', reason: 'card-declined' } } });
    await withClient(async (c) => {
      expect(await c.charge(request())).toEqual({ outcome: 'charged', chargeId: 'ch_2', replayed: true });
      expect(await c.charge(request())).toEqual({ outcome: 'declined', chargeId: 'ch_3', reason: 'card-declined', message: 'the charge was declined: card-declined' });
    });
  });

  it('makes a 5xx a retriable TransientError', async () => {
    replies.push({ status: 503, body: { error: 'unavailable', message: 'the provider is down' } });
    const error = await withClient((c) => c.charge(request())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ code: 'provider-error', message: 'the provider answered 503: the provider is down' });
    expect(isRetriable(error)).toBe(true);
  });

  it('makes a late answer a timeout, whose outcome is unknown, so retriable', async () => {
    replies.push({ status: 201, body: { chargeId: 'ch_late' }, delayMs: 500 });
    const started = Date.now();
    const error = await withClient((c) => c.charge(request()), 150).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(450);
    expect(error).toMatchObject({ code: 'provider-timeout', message: 'the provider did not answer within 150 ms', retriable: true });
  });

  it('makes an unreachable provider retriable', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const client = createProviderClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1000 });
    const error = await client.charge(request()).catch((e: unknown) => e);
    await client.close();
    expect(error).toMatchObject({ code: 'provider-unreachable', retriable: true });
  });

  it('makes any other refusal a programming error that retrying cannot fix', async () => {
    replies.push({ status: 422, body: { error: 'unprocessable', message: 'this Idempotency-Key was already used for a different charge' } });
    const error = await withClient((c) => c.charge(request())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ code: 'provider-refused', retriable: false, message: 'the provider refused the charge with 422: this Idempotency-Key was already used for a different charge' });
  });
});
