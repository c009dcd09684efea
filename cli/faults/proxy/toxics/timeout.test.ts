import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, roundTrip, sleep, startEchoServer, startLink } from '../testing.js';

describe('timeout toxic', { timeout: 15_000 }, () => {
  it('drops the data and closes the connection after the timeout', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', stream: 'upstream', attributes: { timeout: 300 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.write('anyone there?');
    const { data, how, ms } = await ending;
    expect({ bytes: data.length, how }).toEqual({ bytes: 0, how: 'end' });
    expect(ms).toBeGreaterThanOrEqual(290);
  });

  it('starts its countdown again at every chunk', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', stream: 'upstream', attributes: { timeout: 400 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    let open = true;
    void ending.then(() => (open = false));
    for (let i = 0; i < 8; i++) {
      client.write('tick');
      await sleep(100);
    }
    expect(open).toBe(true); // 800 ms in, twice the timeout
    const lastTick = performance.now() - 100;
    await ending;
    expect(performance.now() - lastTick).toBeGreaterThanOrEqual(390);
  });

  it('with timeout 0 never closes by itself; removed, it closes the connection and the data is gone', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    let open = true;
    void ending.then(() => (open = false));
    client.write('held');
    await sleep(500);
    expect(open).toBe(true);

    await link.api.removeToxic('link', 'timeout_upstream');
    expect(await ending).toMatchObject({ how: 'end', data: Buffer.alloc(0) });
  });

  it('removed, closes the connections its toxicity spared too', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', toxicity: 0, attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    await roundTrip(client); // spared: the echo comes back
    const ending = closedBy(client);
    await link.api.removeToxic('link', 'timeout_downstream');
    expect((await ending).how).toBe('end');
  });

  it('updated, starts its countdown again and still drops what it held', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.write('held');
    await sleep(100);
    const updated = performance.now();
    await link.api.updateToxic('link', 'timeout_upstream', { attributes: { timeout: 300 } });
    expect(await ending).toMatchObject({ how: 'end', data: Buffer.alloc(0) });
    expect(performance.now() - updated).toBeGreaterThanOrEqual(290);
  });

  it('closes at once when the client closes its side', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'timeout', attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    client.end('bye');
    expect(await ending).toMatchObject({ how: 'end', data: Buffer.alloc(0) });
  });
});
