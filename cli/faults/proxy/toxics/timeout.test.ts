import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, sleep, startEchoServer, startLink } from '../testing.js';

describe('timeout toxic', { timeout: 15_000 }, () => {
  it('stops data and closes the connection after the timeout', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', stream: 'upstream', attributes: { timeout: 300 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.write('anyone there?');
    const { data, ms } = await ending;
    expect(data.length).toBe(0);
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(300 + 300);
  });

  it('with timeout 0 holds the data and never closes, until the toxic is removed', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    let received = '';
    let closed = false;
    client.on('data', (chunk: Buffer) => (received += chunk.toString()));
    client.on('close', () => (closed = true));
    client.write('held');
    await sleep(500);
    expect(received).toBe('');
    expect(closed).toBe(false);

    await link.api.removeToxic('link', 'timeout_upstream');
    await sleep(100);
    expect(received).toBe('held');
    client.destroy();
  });
});
