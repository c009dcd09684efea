import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, roundTrip, sleep, startEchoServer, startLink } from '../testing.js';

describe('reset_peer toxic', { timeout: 15_000 }, () => {
  it('resets the connection as data arrives with timeout 0, and not before', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    await sleep(200);
    expect(client.destroyed || client.readableEnded).toBe(false); // idle: nothing happens
    client.write('hello');
    const { how, data } = await ending;
    expect(how).toBe('ECONNRESET');
    expect(data.length).toBe(0);
    expect(echo.sockets[0]!.destroyed).toBe(true);
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
  });

  it('closes a connection it joined later with a FIN: the RST is set when a connection opens', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const client = await connectTo(link.port);
    await roundTrip(client);
    await link.api.addToxic('link', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
    const ending = closedBy(client);
    client.write('hello');
    expect((await ending).how).toBe('end');
  });

  it('keeps resetting a connection opened under it after it is gone', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'reset_peer', stream: 'upstream', toxicity: 0, attributes: { timeout: 0 } });
    const client = await connectTo(link.port);
    await roundTrip(client); // spared by the toxicity roll, but opened while the toxic was there
    await link.api.removeToxic('link', 'reset_peer_upstream');
    const ending = closedBy(client);
    client.end();
    expect((await ending).how).toBe('ECONNRESET');
  });

  it('once counting down, makes its removal wait for the reset', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 400 } });
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    const sent = performance.now();
    client.write('hello');
    await sleep(100);
    await link.api.removeToxic('link', 'reset_peer_upstream');
    expect(performance.now() - sent).toBeGreaterThanOrEqual(390);
    expect(await ending).toMatchObject({ how: 'ECONNRESET', data: Buffer.alloc(0) });
  });
});
