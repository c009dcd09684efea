// The npm package toxiproxy-node-client, unchanged, drives the built-in fault proxy: the proof
// that the API is Toxiproxy's as far as its clients can tell.
import { Toxiproxy, type ICreateToxicBody, type Latency } from 'toxiproxy-node-client';
import { describe, expect, it } from 'vitest';
import { startFaultProxy } from './server.js';
import { connectTo, portOf, roundTrip, startEchoServer, tryConnect } from './testing.js';

describe('toxiproxy-node-client against the fault proxy', { timeout: 15_000 }, () => {
  it('creates a proxy, adds and removes latency, and disables the proxy', async () => {
    await using echo = await startEchoServer();
    await using fault = await startFaultProxy({ port: 0 });
    const toxiproxy = new Toxiproxy(fault.url);

    expect(await toxiproxy.getVersion()).toContain('"version"');
    const proxy = await toxiproxy.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` });
    expect(proxy.enabled).toBe(true);
    const port = portOf(proxy.listen);
    const client = await connectTo(port);
    await roundTrip(client);

    const toxic = await proxy.addToxic(<ICreateToxicBody<Latency>>{ type: 'latency', attributes: { latency: 250, jitter: 0 } });
    expect(toxic.name).toBe('latency_downstream');
    expect((await proxy.getToxic<Latency>('latency_downstream')).attributes.latency).toBe(250);
    expect(await roundTrip(client)).toBeGreaterThanOrEqual(249);

    const updated = await toxic.update({ attributes: { latency: 60_000, jitter: 0 } } as ICreateToxicBody<Latency>);
    expect(updated.attributes.latency).toBe(60_000);
    const held = roundTrip(client);
    await toxic.remove();
    await held; // released by the removal, not 60 s later
    await expect(proxy.getToxic('latency_downstream')).rejects.toThrow(/status code 404/);

    const disabled = await proxy.update({ ...proxy.toJson(), enabled: false });
    expect(disabled.enabled).toBe(false);
    expect(await tryConnect(port)).toBe('ECONNREFUSED');
    expect(Object.keys(await toxiproxy.getAll())).toEqual(['echo']);

    await toxiproxy.reset();
    expect((await toxiproxy.get('echo')).enabled).toBe(true);
    await proxy.remove();
    expect(await toxiproxy.getAll()).toEqual({});
    client.destroy();
  });

  it('populates proxies, and surfaces errors as the client expects', async () => {
    await using fault = await startFaultProxy({ port: 0 });
    const toxiproxy = new Toxiproxy(fault.url);
    const proxies = await toxiproxy.populate([
      { name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' },
      { name: 'b', listen: '127.0.0.1:0', upstream: '127.0.0.1:2', enabled: false },
    ]);
    expect(Object.keys(proxies).sort()).toEqual(['a', 'b']);
    expect(proxies.b!.enabled).toBe(false);
    await expect(toxiproxy.get('nope')).rejects.toThrow(/status code 404/);
    await expect(toxiproxy.createProxy({ name: 'a', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' })).rejects.toThrow(/status code 409/);
  });
});
