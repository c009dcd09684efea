import { describe, expect, it } from 'vitest';
import { connectTo, echoThrough, roundTrip, startEchoServer, startLink } from '../testing.js';

describe('latency toxic', { timeout: 15_000 }, () => {
  it('delays the answer by the latency asked, within a tolerance', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const client = await connectTo(link.port);
    expect(await roundTrip(client)).toBeLessThan(50);

    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 200 } });
    const measured = await roundTrip(client);
    expect(measured).toBeGreaterThanOrEqual(199);
    expect(measured).toBeLessThan(200 + 100);
    client.destroy();
  });

  it('adds up when both directions are delayed', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
    await link.api.addToxic('link', { type: 'latency', stream: 'downstream', attributes: { latency: 100 } });
    const client = await connectTo(link.port);
    const measured = await roundTrip(client);
    expect(measured).toBeGreaterThanOrEqual(199);
    expect(measured).toBeLessThan(200 + 100);
    client.destroy();
  });

  it('spreads delays over latency ± jitter without reordering bytes', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 60, jitter: 40 } });
    const client = await connectTo(link.port);
    const trips: number[] = [];
    for (let i = 0; i < 8; i++) trips.push(await roundTrip(client));
    expect(Math.min(...trips)).toBeGreaterThanOrEqual(19);
    expect(Math.max(...trips)).toBeLessThan(100 + 60);
    expect(Math.max(...trips) - Math.min(...trips)).toBeGreaterThan(5); // jitter is there at all
    client.destroy();

    const sequence = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${i},`).join(''));
    expect((await echoThrough(link.port, sequence)).toString()).toBe(sequence.toString());
  });
});
