import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, sleep, startLink, startTcpServer } from '../testing.js';

// An upstream that sends `size` bytes to each client, then closes.
const sender = (size: number) => startTcpServer((socket) => socket.end(Buffer.alloc(size, 7)));

// Connects, and says when each chunk arrived (in ms from the call) until `size` bytes did.
async function arrivals(port: number, size: number): Promise<{ ms: number; bytes: number }[]> {
  const started = performance.now(); // before any byte can enter the proxy
  const socket = await connectTo(port);
  const seen: { ms: number; bytes: number }[] = [];
  let total = 0;
  return new Promise((resolve) =>
    socket.on('data', (chunk: Buffer) => {
      total += chunk.length;
      seen.push({ ms: performance.now() - started, bytes: total });
      if (total < size) return;
      socket.destroy();
      resolve(seen);
    }),
  );
}

describe('bandwidth toxic', { timeout: 15_000 }, () => {
  it('never goes faster than the rate, and a faster rate finishes first', async () => {
    await using upstream = await sender(100_000);
    await using fast = await startLink(upstream.port);
    await using slow = await startLink(upstream.port);
    await fast.api.addToxic('link', { type: 'bandwidth', attributes: { rate: 100 } }); // 100 KB/s
    await slow.api.addToxic('link', { type: 'bandwidth', attributes: { rate: 50 } });
    const finished: string[] = [];
    const [fastSeen] = await Promise.all([
      arrivals(fast.port, 100_000).finally(() => finished.push('100 KB/s')),
      arrivals(slow.port, 100_000).finally(() => finished.push('50 KB/s')),
    ]);
    // By any moment, no more than rate × time went through (1 ms of slack for the clock).
    for (const { ms, bytes } of fastSeen) expect(bytes).toBeLessThanOrEqual(100 * (ms + 1));
    expect(fastSeen.at(-1)!.ms).toBeGreaterThanOrEqual(999);
    expect(finished).toEqual(['100 KB/s', '50 KB/s']);
  });

  it('hands a chunk on only once the wire has carried it, in slices of 100 ms worth', async () => {
    const received: Buffer[] = [];
    await using upstream = await startTcpServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
    const client = await connectTo(link.port);
    const sent = performance.now();
    client.write(Buffer.alloc(250, 1));
    await sleep(90);
    expect(received).toEqual([]); // the first 100 bytes take 100 ms on the wire
    while (Buffer.concat(received).length < 250) await sleep(10);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(249);
    client.destroy();
  });

  it('limits only the direction it is on', async () => {
    await using upstream = await sender(1_000_000);
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
    const ending = await closedBy(await connectTo(link.port));
    expect(ending.data.length).toBe(1_000_000); // at 1 KB/s that would take 1000 s
  });

  it('updated, lets the chunk it is sending go at once', async () => {
    await using upstream = await sender(1_000_000);
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', attributes: { rate: 1 } });
    const seen = arrivals(link.port, 1_000_000);
    await sleep(150);
    await link.api.updateToxic('link', 'bandwidth_downstream', { attributes: { rate: 1_000_000 } });
    expect((await seen).at(-1)!.bytes).toBe(1_000_000); // at 1 KB/s that would take 1000 s
  });

  it('holds every byte at rate 0, and the close behind them, until removed', async () => {
    await using upstream = await sender(5000);
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', attributes: { rate: 0 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));
    await sleep(300);
    expect(received).toBe(0);
    expect(client.readableEnded).toBe(false);
    await link.api.removeToxic('link', 'bandwidth_downstream');
    const { data, how } = await ending;
    expect({ bytes: data.length, how }).toEqual({ bytes: 5000, how: 'end' });
  });
});
