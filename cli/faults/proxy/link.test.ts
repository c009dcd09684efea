import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { closedBy, connectTo, roundTrip, sleep, startEchoServer, startLink } from './testing.js';
import type { FaultClient } from '../client.js';

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// One round of changes touching every way a link switches: pipe → chain, add, update, hold and
// release, remove, chain → pipe. (A bandwidth of 0 holds everything; a timeout would drop it.)
async function churn(api: FaultClient): Promise<void> {
  await api.addToxic('link', { type: 'latency', stream: 'upstream', attributes: { latency: 5, jitter: 5 } });
  await api.addToxic('link', { type: 'bandwidth', attributes: { rate: 20_000 } });
  await api.updateToxic('link', 'latency_upstream', { attributes: { latency: 1 } });
  await api.addToxic('link', { name: 'stall', type: 'bandwidth', stream: 'upstream', attributes: { rate: 0 } });
  await sleep(20);
  await api.removeToxic('link', 'stall');
  await api.addToxic('link', { type: 'slow_close', attributes: { delay: 10 } });
  await api.removeToxic('link', 'latency_upstream');
  await api.removeToxic('link', 'bandwidth_downstream');
  await api.removeToxic('link', 'slow_close_downstream');
}

describe('toxics on live connections', { timeout: 20_000 }, () => {
  it('loses and reorders no byte while toxics come and go during a transfer', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const payload = randomBytes(16 * 1024 * 1024);
    const client = await connectTo(link.port);
    const ending = closedBy(client);
    let received = 0;
    client.on('data', (chunk: Buffer) => (received += chunk.length));

    let sending = true;
    const send = (async () => {
      for (let at = 0; at < payload.length; at += 64 * 1024) {
        client.write(payload.subarray(at, at + 64 * 1024));
        await sleep(1); // spreads the transfer over many changes
      }
      sending = false;
    })();
    let rounds = 0;
    while (sending) {
      await churn(link.api);
      rounds++;
    }
    await send;
    while (received < payload.length) await sleep(10);
    client.end(); // only now: the client's FIN closes the whole connection
    const { data, how } = await ending;

    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(how).toBe('end');
    expect(data.length).toBe(payload.length);
    expect(sha(data)).toBe(sha(payload));
  });

  it('delays an open connection once a toxic is added, and releases held bytes when it is removed', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    const client = await connectTo(link.port);
    await roundTrip(client);

    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 60_000 } });
    const held = roundTrip(client);
    await sleep(100);
    await link.api.removeToxic('link', 'latency_downstream');
    expect(await held).toBeGreaterThanOrEqual(90); // released, not 60 s later
    await roundTrip(client);
    client.destroy();
  });

  it('applies new attributes and toxicity to open connections', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { type: 'latency', attributes: { latency: 100 } });
    const client = await connectTo(link.port);
    expect(await roundTrip(client)).toBeGreaterThanOrEqual(99);

    const updated = await link.api.updateToxic('link', 'latency_downstream', { attributes: { latency: 300 } });
    expect(updated.attributes).toEqual({ latency: 300, jitter: 0 });
    expect(await roundTrip(client)).toBeGreaterThanOrEqual(299);

    await link.api.updateToxic('link', 'latency_downstream', { toxicity: 0, attributes: { latency: 60_000 } });
    await roundTrip(client); // spared by the new roll: not 60 s
    client.destroy();
  });

  it('never applies a toxic of toxicity 0, always one of toxicity 1', async () => {
    await using echo = await startEchoServer();
    await using link = await startLink(echo.port);
    await link.api.addToxic('link', { name: 'never', type: 'latency', toxicity: 0, attributes: { latency: 60_000 } });
    for (let i = 0; i < 5; i++) {
      const client = await connectTo(link.port);
      await roundTrip(client); // not 60 s
      client.destroy();
    }
    await link.api.addToxic('link', { name: 'always', type: 'latency', toxicity: 1, attributes: { latency: 150 } });
    for (let i = 0; i < 3; i++) {
      const client = await connectTo(link.port);
      expect(await roundTrip(client)).toBeGreaterThanOrEqual(149);
      client.destroy();
    }
  });
});
