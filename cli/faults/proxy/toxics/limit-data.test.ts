import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, startLink, startTcpServer } from '../testing.js';

describe('limit_data toxic', { timeout: 15_000 }, () => {
  it('lets exactly `bytes` bytes through, then closes the connection', async () => {
    const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    await using upstream = await startTcpServer((socket) => socket.write(payload));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'limit_data', attributes: { bytes: 1000 } });
    const ending = await closedBy(await connectTo(link.port));
    expect(ending.data).toEqual(payload.subarray(0, 1000));
    expect(ending.ms).toBeLessThan(1000);
  });

  it('counts the bytes of one direction over many writes', async () => {
    const received: Buffer[] = [];
    await using upstream = await startTcpServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    for (const word of ['abcd', 'efgh', 'ijkl']) client.write(word);
    await ending;
    expect(upstream.sockets).toHaveLength(1);
    const server = upstream.sockets[0]!;
    if (!server.readableEnded) await new Promise((resolve) => server.once('end', resolve));
    expect(Buffer.concat(received).toString()).toBe('abcdefghij');
  });

  it('still delivers the bytes a later toxic holds when the limit closes the connection', async () => {
    const payload = Buffer.alloc(5000, 'x');
    await using upstream = await startTcpServer((socket) => socket.write(payload));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'limit_data', attributes: { bytes: 1000 } });
    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 100 } });
    const ending = await closedBy(await connectTo(link.port));
    expect(ending.data.length).toBe(1000);
    expect(ending.ms).toBeGreaterThanOrEqual(99);
  });
});
