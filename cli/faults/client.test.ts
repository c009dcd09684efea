import { describe, expect, it } from 'vitest';
import { isLabError } from '../lib/errors.js';
import { createFaultClient, FaultApiError } from './client.js';
import { startFaultProxy } from './proxy/server.js';
import { echoThrough, portOf, startEchoServer, tryConnect } from './proxy/testing.js';

describe('the fault client', { timeout: 15_000 }, () => {
  it('drives proxies and toxics with typed calls', async () => {
    await using echo = await startEchoServer();
    await using fault = await startFaultProxy({ port: 0 });
    const api = createFaultClient(`${fault.url}/`);

    expect(await api.version()).toMatch(/pizza-lab/);
    const created = await api.createProxy({ name: 'order-postgres', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    const [populated] = await api.populate([{ name: 'payment-kafka', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }]);
    expect((await api.listProxies()).map((p) => p.name)).toEqual(['order-postgres', 'payment-kafka']);
    expect(populated!.enabled).toBe(true);

    const toxic = await api.addToxic('order-postgres', { type: 'latency', stream: 'upstream', attributes: { latency: 20 } });
    expect(toxic).toEqual({ name: 'latency_upstream', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 20, jitter: 0 } });
    expect((await api.updateToxic('order-postgres', 'latency_upstream', { toxicity: 0.5 })).toxicity).toBe(0.5);
    expect((await api.getProxy('order-postgres')).toxics).toHaveLength(1);
    await api.removeToxic('order-postgres', 'latency_upstream');

    expect((await api.setEnabled('order-postgres', false)).enabled).toBe(false);
    expect(await tryConnect(portOf(created.listen))).toBe('ECONNREFUSED');
    await api.reset();
    expect((await echoThrough(portOf(created.listen), Buffer.from('ok'))).toString()).toBe('ok');

    const moved = await api.updateProxy('payment-kafka', { listen: '127.0.0.1:0' });
    expect(moved.listen).not.toBe(populated!.listen);
    await api.deleteProxy('payment-kafka');
    expect((await api.listProxies()).map((p) => p.name)).toEqual(['order-postgres']);
  });

  it('reports API errors in one line naming the proxy or toxic', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    const api = createFaultClient(fault.url);
    await api.createProxy({ name: 'order-kafka', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' });

    await expect(api.setEnabled('nope', false)).rejects.toThrow('cannot disable proxy "nope": proxy not found (HTTP 404)');
    await expect(api.removeToxic('order-kafka', 'slow')).rejects.toThrow('cannot remove toxic "slow" from proxy "order-kafka": toxic not found (HTTP 404)');
    await api.addToxic('order-kafka', { type: 'timeout', attributes: { timeout: 0 } });
    const duplicate = await api.addToxic('order-kafka', { type: 'timeout' }).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(FaultApiError);
    expect(duplicate).toMatchObject({
      message: 'cannot add toxic "timeout_downstream" to proxy "order-kafka": toxic already exists (HTTP 409)',
      status: 409,
      retriable: false,
    });
  });

  it('says the lab is not running when nothing answers, and that trying again may help', async () => {
    const fault = await startFaultProxy({ port: 0 });
    await fault.close(); // a port that was just free and is not listened on now
    const error = await createFaultClient(fault.url).listProxies().catch((e: unknown) => e);
    expect(isLabError(error)).toBe(true);
    expect(error).toMatchObject({ retriable: true, hint: 'start the lab with `pizza-lab up`' });
    expect((error as Error).message).toBe(`cannot list the proxies: the fault API at ${fault.url} is not reachable (ECONNREFUSED)`);
  });
});
