import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, echoThrough, roundTrip, sleep, startEchoServer, startLink, startTcpServer, tryConnect } from './testing.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('forwarding through a proxy', { timeout: 15_000 }, () => {
  it('reports the real port when asked to listen on port 0', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    expect(link.proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(link.port).toBeGreaterThan(0);
  });

  it('echoes bytes through', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const back = await echoThrough(link.port, Buffer.from('hello pizza'));
    expect(back.toString()).toBe('hello pizza');
  });

  it("closes the whole connection on either side's FIN, as Toxiproxy: no half-open connection", async () => {
    let upstreamGot = '';
    let upstreamEnd = (): void => {};
    const upstreamEnded = new Promise<void>((resolve) => (upstreamEnd = resolve));
    await using upstream = await startTcpServer((socket) => {
      socket.on('data', (chunk: Buffer) => (upstreamGot += chunk.toString()));
      socket.once('end', () => upstreamEnd());
    });
    await using link = await startLink(upstream.port);
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.end('bye');
    expect(await ending).toMatchObject({ how: 'end', data: Buffer.alloc(0) });
    await upstreamEnded;
    expect(upstreamGot).toBe('bye');

    await using speaker = await startTcpServer((socket) => socket.end('last words'));
    await link.api.updateProxy('link', { upstream: `127.0.0.1:${speaker.port}` });
    const listener = await connectTo(link.port);
    expect(await closedBy(listener)).toMatchObject({ how: 'end', data: Buffer.from('last words') });
    const server = speaker.sockets[0]!;
    server.resume();
    if (!server.readableEnded) await new Promise((resolve) => server.once('end', resolve)); // closed by the proxy too
  });

  it('carries a large transfer intact', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const payload = randomBytes(8 * 1024 * 1024);
    const back = await echoThrough(link.port, payload);
    expect(back.length).toBe(payload.length);
    expect(sha(back)).toBe(sha(payload));
  });

  it('disabling drops open connections and refuses new ones; enabling lets them in again', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const open = await connectTo(link.port);
    await roundTrip(open);
    const dropped = closedBy(open);

    await link.api.setEnabled('link', false);
    expect((await dropped).how).toBe('end');
    expect(await tryConnect(link.port)).toBe('ECONNREFUSED');
    expect((await link.api.getProxy('link')).enabled).toBe(false);

    const enabled = await link.api.setEnabled('link', true);
    expect(enabled.listen).toBe(link.proxy.listen); // the same port as before
    const again = await connectTo(link.port);
    await roundTrip(again);
    again.destroy();
  });

  it('closes the client when the upstream is down, and keeps serving', async () => {
    const echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await echo.close();
    const orphan = await connectTo(link.port);
    const ending = await closedBy(orphan);
    expect(ending.data.length).toBe(0);

    await using revived = await startEchoServer();
    await link.api.updateProxy('link', { upstream: `127.0.0.1:${revived.port}` });
    expect((await echoThrough(link.port, Buffer.from('back'))).toString()).toBe('back');
  });

  it.each([
    ['piped', undefined],
    ['through a toxic', { type: 'latency', stream: 'upstream', attributes: { latency: 10 } }],
  ] as const)('stops reading from a client whose upstream does not read (%s)', async (_, toxic) => {
    await using stalled = await startTcpServer((socket) => socket.pause());
    await using link = await startLink(stalled.port);
    if (toxic) await link.api.addToxic('link', toxic);
    const client = await connectTo(link.port);
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 128; i++) client.write(block); // 128 MiB offered at once
    await sleep(1000);
    const metrics = await (await fetch(`${link.fault.url}/metrics`)).text();
    const received = Number(/toxiproxy_proxy_received_bytes_total\{proxy="link",direction="upstream"\} (\d+)/.exec(metrics)?.[1]);
    // What the proxy read is bounded by socket buffers and its high-water mark, not by the offer.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(32 * 1024 * 1024);
    client.destroy();
  });
});
