import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, startLink, startTcpServer } from '../testing.js';

// An upstream that sends `size` bytes to each client, then closes.
const sender = (size: number) => startTcpServer((socket) => socket.end(Buffer.alloc(size, 7)));

describe('bandwidth toxic', { timeout: 15_000 }, () => {
  it('limits throughput to the rate asked, within a tolerance', async () => {
    await using upstream = await sender(100_000);
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', attributes: { rate: 100 } }); // 100 KB/s
    const ending = await closedBy(await connectTo(link.port));
    expect(ending.data.length).toBe(100_000);
    expect(ending.ms).toBeGreaterThan(850); // 100 KB at 100 KB/s is one second
    expect(ending.ms).toBeLessThan(1400);
  });

  it('limits only the direction it is on', async () => {
    await using upstream = await sender(1_000_000);
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
    const ending = await closedBy(await connectTo(link.port));
    expect(ending.data.length).toBe(1_000_000);
    expect(ending.ms).toBeLessThan(500);
  });

  it('does not limit at rate 0', async () => {
    await using upstream = await sender(1_000_000);
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'bandwidth', attributes: { rate: 0 } });
    const ending = await closedBy(await connectTo(link.port));
    expect(ending.data.length).toBe(1_000_000);
    expect(ending.ms).toBeLessThan(500);
  });
});
