import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, startEchoServer, startLink } from '../testing.js';

describe('reset_peer toxic', { timeout: 15_000 }, () => {
  it('resets the connection as soon as data arrives with timeout 0', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.write('hello');
    const { how, data, ms } = await ending;
    expect(how).toBe('ECONNRESET');
    expect(data.length).toBe(0);
    expect(ms).toBeLessThan(200);
  });

  it('resets the connection the timeout after data arrived', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 300 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.write('hello');
    const { how, ms } = await ending;
    expect(how).toBe('ECONNRESET');
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(300 + 300);
  });
});
