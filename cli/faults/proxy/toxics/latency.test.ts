import { describe, expect, it } from 'vitest';
import { connectTo, echoThrough, roundTrip, startEchoServer, startLink, startTcpServer } from '../testing.js';

// An echo server that notes when each chunk reached it.
async function startNotingEcho() {
  const reached: number[] = [];
  const server = await startTcpServer((socket) =>
    socket.on('data', (chunk: Buffer) => {
      reached.push(performance.now());
      socket.write(chunk);
    }),
  );
  return Object.assign(server, { reached });
}

describe('latency toxic', { timeout: 15_000 }, () => {
  it('delays the answer by the latency asked, on the direction asked', async () => {
    await using echo = await startNotingEcho();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 200 } });
    const client = await connectTo(link.port);
    const sent = performance.now();
    const measured = await roundTrip(client);
    expect(measured).toBeGreaterThanOrEqual(199);
    const upstreamLeg = echo.reached[0]! - sent;
    // The delay sits on the way back: the upstream saw the ping first, 200 ms before the client.
    expect(sent + measured - echo.reached[0]!).toBeGreaterThanOrEqual(199);
    expect(upstreamLeg).toBeLessThan(measured - upstreamLeg);
    client.destroy();
  });

  it('adds up when both directions are delayed, each leg carrying its own', async () => {
    await using echo = await startNotingEcho();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
    await link.api.addToxic('link', { type: 'latency', stream: 'downstream', attributes: { latency: 100 } });
    const client = await connectTo(link.port);
    const sent = performance.now();
    const measured = await roundTrip(client);
    expect(measured).toBeGreaterThanOrEqual(199);
    expect(echo.reached[0]! - sent).toBeGreaterThanOrEqual(99);
    expect(sent + measured - echo.reached[0]!).toBeGreaterThanOrEqual(99);
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
    expect(Math.max(...trips) - Math.min(...trips)).toBeGreaterThan(5); // jitter is there at all
    client.destroy();

    const sequence = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${i},`).join(''));
    expect((await echoThrough(link.port, sequence)).toString()).toBe(sequence.toString());
  });

  it('updated, lets the chunk it waits on go at once; the next takes the new latency from when it was read', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 60_000 } });
    const client = await connectTo(link.port);
    const arrived: { text: string; at: number }[] = [];
    client.on('data', (chunk: Buffer) => arrived.push({ text: chunk.toString(), at: performance.now() }));
    client.write('a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const bSent = performance.now();
    client.write('b');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const updated = performance.now();
    await link.api.updateToxic('link', 'latency_downstream', { attributes: { latency: 300 } });
    while (arrived.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(arrived.map((a) => a.text)).toEqual(['a', 'b']);
    expect(arrived[0]!.at).toBeGreaterThanOrEqual(updated); // held until the update, not 60 s
    expect(arrived[1]!.at - bSent).toBeGreaterThanOrEqual(299);
    client.destroy();
  });
});
