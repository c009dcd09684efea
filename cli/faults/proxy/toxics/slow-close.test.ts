import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectTo, startLink, startTcpServer } from '../testing.js';

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
    await using link = await startLink(upstream.port);

    const prompt = await timeline(await connectTo(link.port));
    expect(prompt.end).toBeLessThan(100);

    await link.api.addToxic('link', { type: 'slow_close', attributes: { delay: 300 } });
    const slow = await timeline(await connectTo(link.port));
    expect(slow.data).toBe('bye');
    expect(slow.firstByte).toBeLessThan(100);
    expect(slow.end).toBeGreaterThanOrEqual(299);
    expect(slow.end).toBeLessThan(300 + 200);
  });
});
