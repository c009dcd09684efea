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
    expect(ending.how).toBe('end');
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

  it('keeps its count when updated, and closes at the next chunk once over the new limit', async () => {
    await using upstream = await startTcpServer((socket) => {
      const ticks = setInterval(() => socket.writable && socket.write('0123456789'), 20);
      socket.once('close', () => clearInterval(ticks));
    });
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'limit_data', attributes: { bytes: 1000 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    while (received < 30) await new Promise((resolve) => setTimeout(resolve, 5));
    await link.api.updateToxic('link', 'limit_data_downstream', { attributes: { bytes: 50 } });
    expect((await ending).data.length).toBe(50);
  });

  it('closes at the first chunk with a limit of 0', async () => {
    await using upstream = await startTcpServer((socket) => socket.write('abc'));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'limit_data', attributes: { bytes: 0 } });
    expect(await closedBy(await connectTo(link.port))).toMatchObject({ how: 'end', data: Buffer.alloc(0) });
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
