import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { main } from './main.js';

// A pino logger writing JSON lines into an array, as the process writes them to stdout.
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ base: { service: 'fault-proxy' } }, stream) };
}

describe('the fault proxy process entry', { timeout: 15_000 }, () => {
  it('starts from its flags and logs one JSON line saying where it listens', async () => {
    const { lines, logger } = capture();
    await using started = await main(['--host', '127.0.0.1', '--port', '0'], logger);
    await new Promise((resolve) => setImmediate(resolve));
    const ready = lines.find((line) => String(line.msg).includes('fault proxy listening'));
    expect(ready).toMatchObject({ service: 'fault-proxy', url: started.url, msg: `fault proxy listening on ${started.url}` });
    expect((await fetch(`${started.url}/version`)).status).toBe(200);
  });

  it('refuses bad flags as usage errors', async () => {
    await expect(main(['--port', 'http'])).rejects.toThrow(UsageError);
    await expect(main(['--verbose'])).rejects.toThrow(/Unknown option '--verbose'/);
    await expect(main(['--port', '0', '--config', '/nonexistent/proxies.json'])).rejects.toThrow(/cannot read --config/);
  });
});
