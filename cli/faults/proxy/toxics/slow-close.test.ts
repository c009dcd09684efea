import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTo, sleep, startLink, startTcpServer } from '../testing.js';

// Resolves when the first byte and the end arrive, in ms from the call.
function timeline(socket: Socket): Promise<{ firstByte: number; end: number; data: string }> {
  const started = performance.now();
  let firstByte = NaN;
  let data = '';
  socket.on('data', (chunk: Buffer) => {
    if (Number.isNaN(firstByte)) firstByte = performance.now() - started;
    data += chunk.toString();
  });
  return new Promise((resolve) => socket.once('end', () => resolve({ firstByte, end: performance.now() - started, data })));
}

describe('slow_close toxic', { timeout: 15_000 }, () => {
  it('delivers data at once but the close only after the delay', async () => {
    await using upstream = await startTcpServer((socket) => socket.end('bye'));
    await using plain = await startLink(upstream.port);
    await using slowed = await startLink(upstream.port);
    await slowed.api.addToxic('link', { type: 'slow_close', attributes: { delay: 300 } });

    const finished: string[] = [];
    const [, slow] = await Promise.all([
      timeline(await connectTo(plain.port)).finally(() => finished.push('plain')),
      timeline(await connectTo(slowed.port)).finally(() => finished.push('slow_close')),
    ]);
    expect(finished).toEqual(['plain', 'slow_close']);
    expect(slow.data).toBe('bye');
    expect(slow.end).toBeGreaterThanOrEqual(299);
    expect(slow.end - slow.firstByte).toBeGreaterThanOrEqual(290); // the data did not wait
  });

  it('updated while it waits, waits the whole delay again', async () => {
    await using upstream = await startTcpServer((socket) => socket.end('bye'));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'slow_close', attributes: { delay: 400 } });
    const client = await connectTo(link.port);
    const ended = new Promise<number>((resolve) => client.once('end', () => resolve(performance.now())));
    client.resume();
    await sleep(200);
    const updated = performance.now();
    await link.api.updateToxic('link', 'slow_close_downstream', { attributes: { delay: 400 } });
    expect((await ended) - updated).toBeGreaterThanOrEqual(399);
  });

  it('removed while it waits, hands the close on at once', async () => {
    await using upstream = await startTcpServer((socket) => socket.end('bye'));
    await using link = await startLink(upstream.port);
    await link.api.addToxic('link', { type: 'slow_close', attributes: { delay: 60_000 } });
    const client = await connectTo(link.port);
    const ended = new Promise((resolve) => client.once('end', resolve));
    client.resume();
    await sleep(100);
    await link.api.removeToxic('link', 'slow_close_downstream');
    await ended; // not 60 s later
  });
});
