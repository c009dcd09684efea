import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { promClient } from '../kit/index.js';
import { createUpstream, type Upstream, UpstreamError } from './upstream.js';

const servers: Server[] = [];
const upstreams: Upstream[] = [];

afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A local server answering with its name; `behave` can misbehave instead. */
async function server(name: string, behave?: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const s = createServer((req, res) => {
    if (behave) return behave(res);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ name, url: req.url, key: req.headers['idempotency-key'] ?? null }));
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** The address of a port nobody listens on. */
async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise((resolve) => s.close(resolve));
  return url;
}

function upstream(urls: string[], options: { timeoutMs?: number; maxInFlight?: number } = {}) {
  const registry = new promClient.Registry();
  const requests = new promClient.Counter({ name: 'gateway_upstream_requests_total', help: 'h', labelNames: ['upstream', 'status'] as const, registers: [registry] });
  const u = createUpstream({ service: 'order', urls, timeoutMs: options.timeoutMs ?? 2000, maxInFlight: options.maxInFlight ?? 8, logger: pino({ level: 'silent' }), requests });
  upstreams.push(u);
  return { u, registry };
}

const nameOf = (answer: { body: Buffer }) => (JSON.parse(answer.body.toString()) as { name: string }).name;

describe('upstream', () => {
  it('sends requests to the instances in turn, with path, query and headers, and counts them', async () => {
    const { u, registry } = upstream([await server('a'), await server('b')]);
    const names = [];
    for (let i = 0; i < 4; i++) names.push(nameOf(await u.request('GET', '/api/v1/orders?limit=1', { 'idempotency-key': 'k' }, undefined, true)));
    expect(names).toEqual(['a', 'b', 'a', 'b']);
    const answer = await u.request('POST', '/x?y=1', { 'idempotency-key': 'k1' }, Buffer.from('{}'), true);
    expect(JSON.parse(answer.body.toString())).toMatchObject({ url: '/x?y=1', key: 'k1' });
    expect(answer.headers['content-type']).toBe('application/json');
    expect(await registry.metrics()).toContain('gateway_upstream_requests_total{upstream="order-1",status="200"} 3');
  });

  it('skips an instance that refuses connections, even for a POST, and fails with "refused" when all do', async () => {
    const { u, registry } = upstream([await closedPort(), await server('b')]);
    for (let i = 0; i < 3; i++) expect(nameOf(await u.request('POST', '/', {}, Buffer.from('{}'), false))).toBe('b');
    expect(await registry.metrics()).toContain('gateway_upstream_requests_total{upstream="order-1",status="refused"} 1');

    const { u: dead } = upstream([await closedPort(), await closedPort()]);
    const error = await dead.request('GET', '/', {}, undefined, true).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ kind: 'refused', service: 'order' });
  });

  it('does not repeat a request that is not repeatable when the connection is reset', async () => {
    let calls = 0;
    const reset = await server('a', (res) => {
      calls++;
      res.socket!.destroy();
    });
    const { u } = upstream([reset, await server('b')]);
    await expect(u.request('POST', '/', {}, Buffer.from('{}'), false)).rejects.toMatchObject({ kind: 'reset' });
    expect(calls).toBe(1);
    // With an Idempotency-Key (repeatable) it goes on to the next instance.
    expect(nameOf(await u.request('POST', '/', {}, Buffer.from('{}'), true))).toBe('b');
  });

  it('gives up on an instance that does not answer in time', async () => {
    const { u } = upstream([await server('slow', () => {})], { timeoutMs: 200 });
    await expect(u.request('GET', '/', {}, undefined, true)).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('answers "busy" instead of queueing beyond the in-flight cap', async () => {
    const { u } = upstream([await server('slow', (res) => setTimeout(() => res.end('{}'), 300))], { maxInFlight: 1 });
    const first = u.request('GET', '/', {}, undefined, true);
    await expect(u.request('GET', '/', {}, undefined, true)).rejects.toMatchObject({ kind: 'busy' });
    expect((await first).status).toBe(200);
  });
});
