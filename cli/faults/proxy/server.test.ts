import { describe, expect, it } from 'vitest';
import { startFaultProxy } from './server.js';
import { echoThrough, portOf, startEchoServer, tryConnect } from './testing.js';

// A raw HTTP call, to check status codes and bodies exactly as a Toxiproxy client sees them.
async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, text, headers: response.headers };
}

describe('the Toxiproxy HTTP API', { timeout: 15_000 }, () => {
  it('creates, lists, shows, updates and deletes proxies', async () => {
    await using echo = await startEchoServer();
    await using fault = await startFaultProxy({ port: 0 });
    const config = { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` };

    const created = await call(fault.url, 'POST', '/proxies', config);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ name: 'db', listen: expect.stringMatching(/^127\.0\.0\.1:[1-9]\d*$/), upstream: config.upstream, enabled: true, toxics: [] });
    const listen = (created.body as { listen: string }).listen;
    expect((await echoThrough(portOf(listen), Buffer.from('through'))).toString()).toBe('through');

    expect(await call(fault.url, 'GET', '/proxies')).toMatchObject({ status: 200, body: { db: created.body } });
    expect(await call(fault.url, 'GET', '/proxies/db')).toMatchObject({ status: 200, body: created.body });

    const disabled = await call(fault.url, 'POST', '/proxies/db', { enabled: false });
    expect(disabled).toMatchObject({ status: 200, body: { name: 'db', listen, enabled: false } });
    expect(await tryConnect(portOf(listen))).toBe('ECONNREFUSED');

    const moved = await call(fault.url, 'PATCH', '/proxies/db', { enabled: true, listen: '127.0.0.1:0' });
    expect(moved.status).toBe(200);
    const newListen = (moved.body as { listen: string }).listen;
    expect(newListen).not.toBe('127.0.0.1:0');
    expect((await echoThrough(portOf(newListen), Buffer.from('moved'))).toString()).toBe('moved');

    expect((await call(fault.url, 'DELETE', '/proxies/db')).status).toBe(204);
    expect(await tryConnect(portOf(newListen))).toBe('ECONNREFUSED');
    expect((await call(fault.url, 'GET', '/proxies')).body).toEqual({});
  });

  it('creates a proxy disabled when asked, without listening', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    const created = await call(fault.url, 'POST', '/proxies', { name: 'off', listen: '127.0.0.1:0', upstream: '127.0.0.1:1', enabled: false });
    expect(created).toMatchObject({ status: 201, body: { enabled: false, listen: '127.0.0.1:0' } });
  });

  it('answers errors as Toxiproxy does: named, with {error, status}', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    const config = { name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' };
    await call(fault.url, 'POST', '/proxies', config);

    expect(await call(fault.url, 'POST', '/proxies', config)).toMatchObject({ status: 409, body: { error: 'proxy already exists', status: 409 } });
    expect(await call(fault.url, 'GET', '/proxies/nope')).toMatchObject({ status: 404, body: { error: 'proxy not found', status: 404 } });
    expect(await call(fault.url, 'DELETE', '/proxies/nope')).toMatchObject({ status: 404, body: { error: 'proxy not found' } });
    expect(await call(fault.url, 'POST', '/proxies', { listen: '127.0.0.1:0', upstream: '127.0.0.1:1' })).toMatchObject({
      status: 400,
      body: { error: 'missing required field: name', status: 400 },
    });
    expect(await call(fault.url, 'POST', '/proxies', { name: 'x' })).toMatchObject({ status: 400, body: { error: 'missing required field: upstream' } });
    expect(await call(fault.url, 'POST', '/proxies', '{"name": ')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^bad request body/) } });
    // As Toxiproxy: an upstream is only tried when a client connects, a listen address when listening.
    expect(await call(fault.url, 'POST', '/proxies', { name: 'x', listen: '127.0.0.1:0', upstream: 'no-port' })).toMatchObject({ status: 201 });
    expect(await call(fault.url, 'POST', '/proxies', { name: 'y', listen: 'no-port', upstream: '127.0.0.1:1' })).toMatchObject({
      status: 500,
      body: { error: 'listen tcp: address no-port: missing port in address' },
    });
    expect(await call(fault.url, 'POST', '/proxies', { name: 7, upstream: '127.0.0.1:1' })).toMatchObject({ status: 400 });

    expect(await call(fault.url, 'GET', '/proxies/db/toxics/nope')).toMatchObject({ status: 404, body: { error: 'toxic not found', status: 404 } });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'gremlins' })).toMatchObject({ status: 400, body: { error: 'invalid toxic type' } });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency', stream: 'sideways' })).toMatchObject({
      status: 400,
      body: { error: 'stream was invalid, can be either upstream or downstream' },
    });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency', attributes: { latency: 'slow' } })).toMatchObject({ status: 400 });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency', attributes: { latency: 1.5 } })).toMatchObject({ status: 400 });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency', stream: 'up' })).toMatchObject({ status: 400 });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'bandwidth', attributes: { rate: -1 } })).toMatchObject({ status: 400 });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency', toxicity: 'half' })).toMatchObject({ status: 400 });
    expect(await call(fault.url, 'POST', '/proxies/nope/toxics', { type: 'latency' })).toMatchObject({ status: 404, body: { error: 'proxy not found' } });
    await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency' });
    expect(await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency' })).toMatchObject({ status: 409, body: { error: 'toxic already exists', status: 409 } });

    expect(await call(fault.url, 'GET', '/nowhere')).toMatchObject({ status: 404 });
    expect(await call(fault.url, 'PUT', '/proxies')).toMatchObject({ status: 405 });
    expect(await call(fault.url, 'GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0' })).toMatchObject({ status: 403 });
  });

  it('refuses bodies over 16 KiB', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    const big = { name: 'big', upstream: '127.0.0.1:1', listen: '127.0.0.1:0', padding: 'x'.repeat(17 * 1024) };
    expect(await call(fault.url, 'POST', '/proxies', big)).toMatchObject({ status: 413, body: { status: 413 } });
    // Without a length announced up front (chunked), the limit holds while reading.
    const chunked = await fetch(`${fault.url}/proxies`, {
      method: 'POST',
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await call(fault.url, 'GET', '/proxies')).body).toEqual({});
  });

  it('manages toxics: default name, list, show, update, delete', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    await call(fault.url, 'POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });

    const added = await call(fault.url, 'POST', '/proxies/db/toxics', { type: 'latency', attributes: { latency: 100 } });
    expect(added).toMatchObject({
      status: 200,
      body: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } },
    });
    await call(fault.url, 'POST', '/proxies/db/toxics', { name: 'cut', type: 'timeout', stream: 'upstream', toxicity: 0.5, attributes: { timeout: 10 } });

    const listed = await call(fault.url, 'GET', '/proxies/db/toxics');
    expect((listed.body as { name: string }[]).map((t) => t.name)).toEqual(['cut', 'latency_downstream']); // upstream first
    expect((await call(fault.url, 'GET', '/proxies/db')).body).toMatchObject({ toxics: listed.body });

    const updated = await call(fault.url, 'POST', '/proxies/db/toxics/latency_downstream', { attributes: { jitter: 10 } });
    expect(updated.body).toMatchObject({ name: 'latency_downstream', attributes: { latency: 100, jitter: 10 }, toxicity: 1 });
    expect((await call(fault.url, 'GET', '/proxies/db/toxics/latency_downstream')).body).toEqual(updated.body);

    expect((await call(fault.url, 'DELETE', '/proxies/db/toxics/cut')).status).toBe(204);
    expect((await call(fault.url, 'DELETE', '/proxies/db/toxics/cut')).status).toBe(404);
    expect((await call(fault.url, 'GET', '/proxies/db/toxics')).body).toHaveLength(1);
  });

  it('resets: every proxy enabled again, every toxic gone', async () => {
    await using echo = await startEchoServer();
    await using fault = await startFaultProxy({ port: 0 });
    const a = await call(fault.url, 'POST', '/proxies', { name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    await call(fault.url, 'POST', '/proxies', { name: 'b', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    await call(fault.url, 'POST', '/proxies/a', { enabled: false });
    await call(fault.url, 'POST', '/proxies/b/toxics', { type: 'timeout', attributes: { timeout: 0 } });

    expect((await call(fault.url, 'POST', '/reset')).status).toBe(204);
    const proxies = (await call(fault.url, 'GET', '/proxies')).body as Record<string, { enabled: boolean; toxics: unknown[] }>;
    expect(proxies.a).toMatchObject({ enabled: true, toxics: [] });
    expect(proxies.b).toMatchObject({ enabled: true, toxics: [] });
    expect((await echoThrough(portOf((a.body as { listen: string }).listen), Buffer.from('healed'))).toString()).toBe('healed');
  });

  it('populates: creates new proxies, keeps identical ones, replaces changed ones', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    const kept = await call(fault.url, 'POST', '/proxies', { name: 'kept', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });
    const keptListen = (kept.body as { listen: string }).listen;
    await call(fault.url, 'POST', '/proxies/kept/toxics', { type: 'latency' });
    await call(fault.url, 'POST', '/proxies', { name: 'changed', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });

    const populated = await call(fault.url, 'POST', '/populate', [
      { name: 'kept', listen: keptListen, upstream: '127.0.0.1:1' },
      { name: 'changed', listen: '127.0.0.1:0', upstream: '127.0.0.1:2' },
      { name: 'new', listen: '127.0.0.1:0', upstream: '127.0.0.1:3', enabled: false },
    ]);
    expect(populated.status).toBe(201);
    const proxies = (populated.body as { proxies: { name: string; upstream: string; enabled: boolean; toxics: unknown[] }[] }).proxies;
    expect(proxies.map((p) => p.name)).toEqual(['kept', 'changed', 'new']);
    expect(proxies[0]!.toxics).toHaveLength(1); // kept as it was
    expect(proxies[1]!.upstream).toBe('127.0.0.1:2');
    expect(proxies[2]!.enabled).toBe(false);

    expect(await call(fault.url, 'POST', '/populate', [{ name: 'x' }])).toMatchObject({ status: 400, body: { error: 'missing required field: upstream at proxy 1' } });
    expect(await call(fault.url, 'POST', '/populate', { name: 'x' })).toMatchObject({ status: 400 });
    expect(Object.keys((await call(fault.url, 'GET', '/proxies')).body as object)).toHaveLength(3);
  });

  it('starts with the proxies it was given', async () => {
    await using echo = await startEchoServer();
    await using fault = await startFaultProxy({ port: 0, proxies: [{ name: 'boot', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }] });
    const proxy = (await call(fault.url, 'GET', '/proxies/boot')).body as { listen: string };
    expect((await echoThrough(portOf(proxy.listen), Buffer.from('ready'))).toString()).toBe('ready');
  });

  it('answers /version as JSON, and /metrics in the Prometheus text format', async () => {
    await using echo = await startEchoServer();
    await using fault = await startFaultProxy({ port: 0 });
    const version = await call(fault.url, 'GET', '/version');
    expect(version.body).toEqual({ version: expect.any(String) });

    const created = await call(fault.url, 'POST', '/proxies', { name: 'db', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    await echoThrough(portOf((created.body as { listen: string }).listen), Buffer.alloc(1234));

    // Read once the proxy has seen the connection close on both sides.
    let metrics: Response;
    let text: string;
    for (;;) {
      metrics = await fetch(`${fault.url}/metrics`);
      text = await metrics.text();
      if (text.includes('toxiproxy_proxy_connections{proxy="db"} 0')) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE toxiproxy_proxy_received_bytes_total counter');
    expect(text).toContain('toxiproxy_proxy_received_bytes_total{proxy="db",direction="upstream"} 1234');
    expect(text).toContain('toxiproxy_proxy_sent_bytes_total{proxy="db",direction="downstream"} 1234');
    expect(text).toContain('toxiproxy_proxy_connections{proxy="db"} 0');
    expect(text).toContain('toxiproxy_proxy_accepted_connections_total{proxy="db"} 1');
    expect(text).toContain('toxiproxy_proxy_enabled{proxy="db"} 1');
  });
});
