// The built-in fault proxy against the real thing: Toxiproxy 2.12.0, the fault proxy of the
// compose runtime, built from its Go module by test/images/toxiproxy.sh. Every test drives both
// through toxiproxy-node-client with the same steps, over real TCP to servers of its own, records
// what a client (and the upstream) observe — bytes, FIN or RST, what waits for what — and expects
// the same record from both, keyed by which proxy did what. Timings are only lower bounds ("not
// before 250 ms"); everything else is waited for as a state.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Toxiproxy, type ICreateToxicBody, type Proxy, type Toxic } from 'toxiproxy-node-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortBlock } from '../../lib/ports.js';
import { startFaultProxy, type StartedFaultProxy } from './server.js';
import { portOf, sleep, startTcpServer, tryConnect } from './testing.js';

const REAL = 'Toxiproxy 2.12.0';
const BUILT_IN = 'built-in';
const BUILD_SCRIPT = fileURLToPath(new URL('../../../test/images/toxiproxy.sh', import.meta.url));
const WAIT_MS = 10_000; // how long a state is waited for before the test says what it saw instead

let real: { url: string; process: ChildProcess } | undefined;
let builtIn: StartedFaultProxy | undefined;
// Why the two proxies are not there: every test fails with it (none is skipped).
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    await startBoth();
  } catch (error) {
    setupError = error as Error;
  }
}, 180_000); // the first build of Toxiproxy takes a while

async function startBoth(): Promise<void> {
  const folder = await buildToxiproxy();
  const port = await freePortBlock(1);
  const child = spawn(`${folder}/toxiproxy-server`, ['-host', '127.0.0.1', '-port', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'error' },
  });
  real = { url: `http://127.0.0.1:${port}`, process: child };
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-2000)));
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`toxiproxy-server exited with ${child.exitCode}: ${log.trim()}`);
    if (await new Toxiproxy(real.url).getVersion().then(() => true, () => false)) break;
    if (Date.now() > deadline) throw new Error(`toxiproxy-server did not answer on ${real.url} within ${WAIT_MS} ms: ${log.trim()}`);
    await sleep(50);
  }
  builtIn = await startFaultProxy({ port: 0 });
}

afterAll(async () => {
  await builtIn?.close();
  const child = real?.process;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    await exited;
  }
});

// Runs the script (it builds once, then answers from its cache) and returns the folder it prints.
function buildToxiproxy(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString()).slice(-4000)));
    child.once('error', (error) => reject(new Error(`test/images/toxiproxy.sh could not run: ${error.message}`)));
    child.once('close', (code) => {
      if (code === 0 && out.trim()) resolve(out.trim().split('\n').at(-1)!);
      else reject(new Error(`test/images/toxiproxy.sh failed (exit ${code}): ${err.trim() || 'no message'}`));
    });
  });
}

/** One end of a TCP connection, as the program holding it sees it. */
class Peer {
  readonly arrivals: { at: number; text: string }[] = [];
  data = '';
  endedAt?: number;
  error?: string;
  erroredAt?: number;
  private readonly waiters = new Set<() => void>();

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.arrivals.push({ at: performance.now(), text: chunk.toString() });
      this.data += chunk.toString();
      this.changed();
    });
    socket.on('end', () => {
      this.endedAt ??= performance.now();
      this.changed();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error ??= error.code ?? error.message;
      this.erroredAt ??= performance.now();
      this.changed();
    });
    socket.on('close', () => this.changed());
  }

  /** 'open', 'FIN' (the peer closed), 'RST' (it reset), or the error code, whichever came first. */
  get how(): string {
    if (this.endedAt !== undefined && (this.erroredAt === undefined || this.endedAt <= this.erroredAt)) return 'FIN';
    if (this.error !== undefined) return this.error === 'ECONNRESET' ? 'RST' : this.error;
    return 'open';
  }

  get closedAt(): number | undefined {
    return this.endedAt ?? this.erroredAt;
  }

  /** Resolves when `state` holds; fails after WAIT_MS saying what was seen instead. */
  until(what: string, state: () => boolean): Promise<void> {
    if (state()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!state()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`waited ${WAIT_MS} ms for ${what}; saw ${JSON.stringify(this.data.slice(0, 60))} (${this.data.length} bytes), ${this.how}`));
      }, WAIT_MS);
      this.waiters.add(check);
    });
  }

  closed = (): Promise<void> => this.until('the connection to close', () => this.how !== 'open');
  received = (bytes: number): Promise<void> => this.until(`${bytes} bytes`, () => this.data.length >= bytes);

  /** Writes until a write fails (the other side is gone) and says how it failed. */
  async refusesWrites(): Promise<string> {
    const writes = setInterval(() => {
      if (!this.socket.destroyed) this.socket.write('more');
    }, 20);
    try {
      await this.until('a write to fail', () => this.error !== undefined || this.socket.destroyed);
    } finally {
      clearInterval(writes);
    }
    return this.error === 'EPIPE' || this.error === 'ECONNRESET' ? 'refused' : (this.error ?? 'closed');
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** What one proxy gives a scenario: its API, a proxy in front of a fresh upstream, and peers. */
interface Bench {
  readonly toxiproxy: Toxiproxy;
  readonly proxy: Proxy;
  readonly port: number;
  /** A client connected through the proxy. */
  connect(): Promise<Peer>;
  /** The upstream's side of its `index`-th connection, once accepted. */
  upstream(index?: number): Promise<Peer>;
  /** Adds a toxic through the client; `attributes` as Toxiproxy names them. */
  addToxic(toxic: { type: string; name?: string; stream?: string; toxicity?: number; attributes?: Record<string, number> }): Promise<Toxic<unknown>>;
}

let proxyCount = 0;

/**
 * Runs `scenario` against both proxies at once, each with its own upstream (whose connections
 * `serve` handles), and returns what each observed — or why it could not, in the same record.
 */
async function onBoth<T>(serve: (socket: Socket) => void, scenario: (bench: Bench) => Promise<T>): Promise<Record<string, T | string>> {
  if (setupError) throw setupError;
  const sides = { [REAL]: real!.url, [BUILT_IN]: builtIn!.url };
  const seen = await Promise.all(
    Object.entries(sides).map(async ([side, url]) => {
      const peers: Peer[] = [];
      const accepted = new Set<() => void>();
      await using server = await startTcpServer((socket) => {
        peers.push(new Peer(socket));
        serve(socket);
        for (const notify of accepted) notify();
      });
      const clients: Socket[] = [];
      const toxiproxy = new Toxiproxy(url);
      const proxy = await toxiproxy.createProxy({ name: `parity-${++proxyCount}`, listen: '127.0.0.1:0', upstream: `127.0.0.1:${server.port}` });
      const bench: Bench = {
        toxiproxy,
        proxy,
        port: portOf(proxy.listen),
        async connect() {
          const socket = connect({ host: '127.0.0.1', port: portOf(proxy.listen), allowHalfOpen: true, noDelay: true });
          clients.push(socket);
          const peer = new Peer(socket);
          await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
          return peer;
        },
        upstream(index = 0) {
          if (peers[index]) return Promise.resolve(peers[index]);
          return new Promise((resolve, reject) => {
            const notify = (): void => {
              if (!peers[index]) return;
              accepted.delete(notify);
              clearTimeout(timer);
              resolve(peers[index]);
            };
            const timer = setTimeout(() => reject(new Error(`the upstream never saw connection ${index + 1}`)), WAIT_MS);
            accepted.add(notify);
          });
        },
        addToxic: (toxic) => proxy.addToxic(toxic as ICreateToxicBody<unknown>),
      };
      try {
        return [side, await scenario(bench)] as const;
      } catch (error) {
        return [side, `failed: ${(error as Error).message}`] as const;
      } finally {
        for (const socket of clients) socket.destroy();
        await toxiproxy.get(proxy.name).then((p) => p.remove(), () => {});
      }
    }),
  );
  return Object.fromEntries(seen);
}

/** The record both proxies are expected to produce. */
const both = <T,>(expected: T): Record<string, T> => ({ [REAL]: expected, [BUILT_IN]: expected });

/** "≥ floor ms" when `ms` is at least `floor`, else the figure, so a diff shows it. */
const notBefore = (ms: number | undefined, floor: number): string =>
  ms === undefined ? 'never' : ms >= floor ? `≥ ${floor} ms` : `${Math.round(ms)} ms (before ${floor})`;

/** The HTTP status a client call ended with. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (error) {
    const status = /status code (\d+)/.exec((error as Error).message)?.[1];
    if (!status) throw error;
    return Number(status);
  }
}

const echo = (socket: Socket): void => void socket.pipe(socket);
const silent = (): void => {};

describe(`the built-in fault proxy behaves as ${REAL}`, { timeout: 60_000 }, () => {
  describe('forwarding and closing', () => {
    it('carries bytes both ways', async () => {
      const payload = 'x'.repeat(200_000);
      const seen = await onBoth(echo, async ({ connect }) => {
        const client = await connect();
        client.socket.write(payload);
        await client.received(payload.length);
        return { echoed: client.data === payload, how: client.how };
      });
      expect(seen).toEqual(both({ echoed: true, how: 'open' }));
    });

    it("closes the whole connection on the client's FIN: the upstream's later answer never arrives", async () => {
      const seen = await onBoth(silent, async ({ connect, upstream }) => {
        const client = await connect();
        client.socket.end('hello');
        const server = await upstream();
        await server.until('the FIN', () => server.endedAt !== undefined);
        await client.closed();
        const late = await server.refusesWrites(); // the answer a half-open connection would carry
        return { upstreamGot: server.data, upstreamSaw: server.how, client: client.how, clientGot: client.data, lateAnswer: late };
      });
      expect(seen).toEqual(both({ upstreamGot: 'hello', upstreamSaw: 'FIN', client: 'FIN', clientGot: '', lateAnswer: 'refused' }));
    });

    it("closes the whole connection on the upstream's FIN: what the client sends after it never arrives", async () => {
      const seen = await onBoth(
        (socket) => socket.end('bye'),
        async ({ connect, upstream }) => {
          const client = await connect();
          await client.closed();
          const server = await upstream();
          await server.closed();
          return { clientGot: client.data, client: client.how, upstream: server.how, laterWrites: await client.refusesWrites(), upstreamGot: server.data };
        },
      );
      expect(seen).toEqual(both({ clientGot: 'bye', client: 'FIN', upstream: 'FIN', laterWrites: 'refused', upstreamGot: '' }));
    });

    it("turns a peer's reset into a FIN for the other side", async () => {
      const seen = await onBoth(silent, async ({ connect, upstream }) => {
        const client = await connect();
        client.socket.write('x');
        const server = await upstream();
        await server.received(1);
        client.socket.resetAndDestroy();
        await server.closed();
        return server.how;
      });
      expect(seen).toEqual(both('FIN'));
    });

    it('closes a client whose upstream refuses, and keeps serving', async () => {
      const seen = await onBoth(silent, async ({ connect, proxy }) => {
        await proxy.update({ ...proxy.toJson(), upstream: '127.0.0.1:1' });
        const client = await connect();
        await client.closed();
        return { how: client.how, got: client.data };
      });
      expect(seen).toEqual(both({ how: 'FIN', got: '' }));
    });
  });

  describe('toxics coming and going under traffic', () => {
    it('lose and reorder no byte', async () => {
      const payload = Buffer.from(Array.from({ length: 400_000 }, (_, i) => `${i % 10}`).join(''));
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        const client = await connect();
        let sending = true;
        const send = (async () => {
          for (let at = 0; at < payload.length; at += 16 * 1024) {
            client.socket.write(payload.subarray(at, at + 16 * 1024));
            await sleep(2);
          }
          sending = false;
        })();
        let rounds = 0;
        while (sending || rounds < 3) {
          const latency = await addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 5, jitter: 5 } });
          const bandwidth = await addToxic({ type: 'bandwidth', attributes: { rate: 5000 } });
          await latency.update({ attributes: { latency: 1, jitter: 0 } } as never);
          const stall = await addToxic({ name: 'stall', type: 'bandwidth', stream: 'upstream', attributes: { rate: 0 } });
          await sleep(10);
          await stall.remove();
          await latency.remove();
          await bandwidth.remove();
          rounds++;
        }
        await send;
        await client.received(payload.length);
        return { intact: client.data === payload.toString(), how: client.how };
      });
      expect(seen).toEqual(both({ intact: true, how: 'open' }));
    });
  });

  describe('proxy operations', () => {
    it('disabling drops open connections and refuses new ones; enabling takes them on the same port', async () => {
      const seen = await onBoth(echo, async ({ connect, proxy, port }) => {
        const client = await connect();
        const server = await proxy.update({ ...proxy.toJson(), enabled: false });
        await client.closed();
        const refused = await tryConnect(port);
        const enabled = await server.update({ ...server.toJson(), enabled: true });
        const again = await connect();
        again.socket.write('back');
        await again.received(4);
        return { dropped: client.how, refused, samePort: enabled.listen === proxy.listen, again: again.data };
      });
      expect(seen).toEqual(both({ dropped: 'FIN', refused: 'ECONNREFUSED', samePort: true, again: 'back' }));
    });

    it('deleting a proxy, or moving it to another upstream, drops its connections', async () => {
      const moved = await onBoth(echo, async ({ connect, proxy }) => {
        const client = await connect();
        await proxy.update({ ...proxy.toJson(), upstream: '127.0.0.1:1' });
        await client.closed();
        return client.how;
      });
      const deleted = await onBoth(echo, async ({ connect, proxy }) => {
        const client = await connect();
        await proxy.remove();
        await client.closed();
        return client.how;
      });
      expect({ moved, deleted }).toEqual({ moved: both('FIN'), deleted: both('FIN') });
    });

    it('reset enables every proxy and lifts every toxic from open connections', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic, toxiproxy, proxy }) => {
        const off = await toxiproxy.createProxy({ name: `${proxy.name}-off`, listen: '127.0.0.1:0', upstream: proxy.upstream, enabled: false });
        await addToxic({ type: 'latency', attributes: { latency: 60_000 } });
        const client = await connect();
        client.socket.write('held');
        await sleep(200);
        const before = client.data;
        await toxiproxy.reset();
        await client.received(4);
        const toxics = (await toxiproxy.api.get(`${proxy.getPath()}/toxics`)).data;
        const enabled = (await toxiproxy.get(off.name)).enabled;
        await off.remove();
        return { before, after: client.data, toxics, enabled };
      });
      expect(seen).toEqual(both({ before: '', after: 'held', toxics: [], enabled: true }));
    });
  });

  describe('latency', () => {
    it('delays each direction by its latency, the two adding up', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        await addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
        await addToxic({ type: 'latency', attributes: { latency: 150 } });
        const client = await connect();
        const sent = performance.now();
        client.socket.write('ping');
        await client.received(4);
        return notBefore(client.arrivals[0]!.at - sent, 245);
      });
      expect(seen).toEqual(both('≥ 245 ms'));
    });

    it('joins connections already open', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        const client = await connect();
        client.socket.write('one');
        await client.received(3);
        await addToxic({ type: 'latency', attributes: { latency: 200 } });
        const sent = performance.now();
        client.socket.write('two');
        await client.received(6);
        return notBefore(client.arrivals.at(-1)!.at - sent, 195);
      });
      expect(seen).toEqual(both('≥ 195 ms'));
    });

    it('keeps the order of bytes whatever the jitter', async () => {
      const sequence = Array.from({ length: 3000 }, (_, i) => `${i},`).join('');
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        await addToxic({ type: 'latency', attributes: { latency: 20, jitter: 20 } });
        const client = await connect();
        for (let at = 0; at < sequence.length; at += 500) {
          client.socket.write(sequence.slice(at, at + 500));
          await sleep(2);
        }
        await client.received(sequence.length);
        return client.data === sequence;
      });
      expect(seen).toEqual(both(true));
    });

    it('lets everything it holds go at once when removed', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        const toxic = await addToxic({ type: 'latency', attributes: { latency: 60_000 } });
        const client = await connect();
        client.socket.write('a');
        await sleep(50);
        client.socket.write('b');
        await sleep(200);
        const before = client.data;
        await toxic.remove();
        await client.received(2);
        return { before, after: client.data };
      });
      expect(seen).toEqual(both({ before: '', after: 'ab' }));
    });

    it('updated, lets the chunk it waits on go at once, and delays the next by the new latency from when it was read', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        const toxic = await addToxic({ type: 'latency', attributes: { latency: 60_000 } });
        const client = await connect();
        client.socket.write('a');
        await sleep(50);
        const bSent = performance.now();
        client.socket.write('b');
        await sleep(100);
        const updated = performance.now();
        await toxic.update({ attributes: { latency: 400 } } as never);
        await client.received(2);
        const [first, second] = client.arrivals;
        return { first: first?.text, heldUntilUpdate: first!.at >= updated, second: second?.text, secondAfterItsWrite: notBefore(second && second.at - bSent, 395) };
      });
      expect(seen).toEqual(both({ first: 'a', heldUntilUpdate: true, second: 'b', secondAfterItsWrite: '≥ 395 ms' }));
    });

    it('lets the chunk it waits on go, past the newcomer, when a toxic is added after it', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        await addToxic({ type: 'latency', attributes: { latency: 60_000 } });
        const client = await connect();
        client.socket.write('a');
        await sleep(100);
        await addToxic({ type: 'timeout', attributes: { timeout: 0 } }); // drops everything after it
        await client.received(1);
        client.socket.write('b');
        await sleep(200);
        return { got: client.data, how: client.how };
      });
      expect(seen).toEqual(both({ got: 'a', how: 'open' }));
    });
  });

  describe('bandwidth', () => {
    it('hands a chunk on once the wire has carried it, in slices of 100 ms worth', async () => {
      const seen = await onBoth(silent, async ({ connect, upstream, addToxic }) => {
        await addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } }); // 1 KB/s
        const client = await connect();
        const sent = performance.now();
        client.socket.write('x'.repeat(500));
        const server = await upstream();
        await server.received(500);
        return { firstBytes: notBefore(server.arrivals[0]!.at - sent, 95), lastBytes: notBefore(server.arrivals.at(-1)!.at - sent, 490) };
      });
      expect(seen).toEqual(both({ firstBytes: '≥ 95 ms', lastBytes: '≥ 490 ms' }));
    });

    it('limits its own direction only', async () => {
      const seen = await onBoth(
        (socket) => socket.write('y'.repeat(1_000_000)),
        async ({ connect, addToxic }) => {
          await addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
          const client = await connect();
          await client.received(1_000_000); // at 1 KB/s this would take 1000 s
          return client.data.length;
        },
      );
      expect(seen).toEqual(both(1_000_000));
    });

    it('at rate 0 holds every byte, and the close behind them, until updated', async () => {
      const seen = await onBoth(
        (socket) => socket.end('abc'),
        async ({ connect, upstream, addToxic }) => {
          const toxic = await addToxic({ type: 'bandwidth', attributes: { rate: 0 } });
          const client = await connect();
          const server = await upstream();
          await sleep(300);
          const held = { got: client.data, client: client.how, upstream: server.how };
          await toxic.update({ attributes: { rate: 1 } } as never);
          await client.closed();
          await server.closed();
          return { held, got: client.data, client: client.how, upstream: server.how };
        },
      );
      expect(seen).toEqual(both({ held: { got: '', client: 'open', upstream: 'open' }, got: 'abc', client: 'FIN', upstream: 'FIN' }));
    });

    it('takes 100 KB a second at 100 KB/s', async () => {
      const seen = await onBoth(
        (socket) => socket.write('z'.repeat(100_000)),
        async ({ connect, addToxic }) => {
          await addToxic({ type: 'bandwidth', attributes: { rate: 100 } });
          const client = await connect();
          const started = performance.now();
          await client.received(100_000);
          return notBefore(client.arrivals.at(-1)!.at - started, 900);
        },
      );
      expect(seen).toEqual(both('≥ 900 ms'));
    });

    it('updated, lets the chunk it is sending go at once, then applies the new rate', async () => {
      const seen = await onBoth(silent, async ({ connect, upstream, addToxic }) => {
        const toxic = await addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
        const client = await connect();
        client.socket.write('x'.repeat(30_000)); // one chunk: 30 s at 1 KB/s
        const server = await upstream();
        await server.received(100);
        await toxic.update({ attributes: { rate: 2 } } as never);
        await server.received(30_000); // the rest at 2 KB/s would take 15 s
        const sent = performance.now();
        client.socket.write('y'.repeat(600)); // 300 ms at 2 KB/s
        await server.received(30_600);
        return notBefore(server.arrivals.at(-1)!.at - sent, 290);
      });
      expect(seen).toEqual(both('≥ 290 ms'));
    });

    it('lets everything it holds go when removed', async () => {
      const seen = await onBoth(silent, async ({ connect, upstream, addToxic }) => {
        const toxic = await addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
        const client = await connect();
        client.socket.write('x'.repeat(300_000));
        const server = await upstream();
        await server.received(100);
        await toxic.remove();
        await server.received(300_000);
        return server.data.length;
      });
      expect(seen).toEqual(both(300_000));
    });
  });

  describe('slow_close', () => {
    it('hands data on at once, and the close after the delay', async () => {
      const seen = await onBoth(
        (socket) => socket.end('bye'),
        async ({ connect, upstream, addToxic }) => {
          await addToxic({ type: 'slow_close', attributes: { delay: 300 } });
          const client = await connect();
          const started = performance.now();
          await client.closed();
          const server = await upstream();
          await server.closed();
          return { got: client.data, dataFirst: client.arrivals[0]!.at <= client.closedAt!, how: client.how, closed: notBefore(client.closedAt! - started, 290), upstream: server.how };
        },
      );
      expect(seen).toEqual(both({ got: 'bye', dataFirst: true, how: 'FIN', closed: '≥ 290 ms', upstream: 'FIN' }));
    });

    it('updated while it waits, waits the whole delay again', async () => {
      const seen = await onBoth(
        (socket) => socket.end('bye'),
        async ({ connect, addToxic }) => {
          const toxic = await addToxic({ type: 'slow_close', attributes: { delay: 400 } });
          const client = await connect();
          await client.received(3);
          await sleep(200);
          const updated = performance.now();
          await toxic.update({ attributes: { delay: 400 } } as never);
          await client.closed();
          return notBefore(client.closedAt! - updated, 390);
        },
      );
      expect(seen).toEqual(both('≥ 390 ms'));
    });

    it('removed while it waits, closes at once', async () => {
      const seen = await onBoth(
        (socket) => socket.end('bye'),
        async ({ connect, addToxic }) => {
          const toxic = await addToxic({ type: 'slow_close', attributes: { delay: 60_000 } });
          const client = await connect();
          await client.received(3);
          await sleep(100);
          await toxic.remove();
          await client.closed();
          return client.how;
        },
      );
      expect(seen).toEqual(both('FIN'));
    });
  });

  describe('timeout', () => {
    it('drops the data and closes the connection after the timeout', async () => {
      const seen = await onBoth(echo, async ({ connect, upstream, addToxic }) => {
        await addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 300 } });
        const client = await connect();
        const started = performance.now();
        client.socket.write('anyone there?');
        await client.closed();
        const server = await upstream();
        await server.closed();
        return { got: client.data, how: client.how, closed: notBefore(client.closedAt! - started, 290), upstreamGot: server.data, upstream: server.how };
      });
      expect(seen).toEqual(both({ got: '', how: 'FIN', closed: '≥ 290 ms', upstreamGot: '', upstream: 'FIN' }));
    });

    it('starts its countdown again at every chunk', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        await addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 500 } });
        const client = await connect();
        for (let i = 0; i < 10; i++) {
          client.socket.write('tick');
          await sleep(100);
        }
        const lastWrite = performance.now() - 100;
        const openAfterTicks = client.how;
        await client.closed();
        return { openAfterTicks, closed: notBefore(client.closedAt! - lastWrite, 490), got: client.data };
      });
      expect(seen).toEqual(both({ openAfterTicks: 'open', closed: '≥ 490 ms', got: '' }));
    });

    it('with 0 never closes by itself; removed, it closes the connection, and what it held is gone', async () => {
      const seen = await onBoth(echo, async ({ connect, upstream, addToxic }) => {
        const toxic = await addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } });
        const client = await connect();
        client.socket.write('held');
        await sleep(300);
        const whileOn = { got: client.data, how: client.how };
        await toxic.remove();
        await client.closed();
        const server = await upstream();
        await server.closed();
        return { whileOn, got: client.data, how: client.how, upstreamGot: server.data };
      });
      expect(seen).toEqual(both({ whileOn: { got: '', how: 'open' }, got: '', how: 'FIN', upstreamGot: '' }));
    });

    it('removed, closes even the connections its toxicity spared', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        const toxic = await addToxic({ type: 'timeout', toxicity: 0, attributes: { timeout: 0 } });
        const client = await connect();
        client.socket.write('spared');
        await client.received(6);
        await toxic.remove();
        await client.closed();
        return { got: client.data, how: client.how };
      });
      expect(seen).toEqual(both({ got: 'spared', how: 'FIN' }));
    });

    it('updated, or joined by a toxic after it, starts its countdown again', async () => {
      const updated = await onBoth(echo, async ({ connect, addToxic }) => {
        const toxic = await addToxic({ type: 'timeout', attributes: { timeout: 0 } });
        const client = await connect();
        client.socket.write('x');
        await sleep(100);
        const at = performance.now();
        await toxic.update({ attributes: { timeout: 300 } } as never);
        await client.closed();
        return { closed: notBefore(client.closedAt! - at, 290), got: client.data };
      });
      const joined = await onBoth(echo, async ({ connect, addToxic }) => {
        await addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 500 } });
        const client = await connect();
        await sleep(300);
        const at = performance.now();
        await addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 0 } });
        await client.closed();
        return notBefore(client.closedAt! - at, 490);
      });
      expect({ updated, joined }).toEqual({ updated: both({ closed: '≥ 290 ms', got: '' }), joined: both('≥ 490 ms') });
    });
  });

  describe('reset_peer', () => {
    it('resets both sides once data arrives, not before, on a connection opened under it', async () => {
      const seen = await onBoth(echo, async ({ connect, upstream, addToxic }) => {
        await addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
        const client = await connect();
        await sleep(200);
        const idle = client.how;
        client.socket.write('hello');
        await client.closed();
        const server = await upstream();
        await server.closed();
        return { idle, client: client.how, got: client.data, upstream: server.how, upstreamGot: server.data };
      });
      expect(seen).toEqual(both({ idle: 'open', client: 'RST', got: '', upstream: 'RST', upstreamGot: '' }));
    });

    it('resets the timeout after the data arrived', async () => {
      const seen = await onBoth(silent, async ({ connect, addToxic }) => {
        await addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 300 } });
        const client = await connect();
        const sent = performance.now();
        client.socket.write('hello');
        await client.closed();
        return { how: client.how, after: notBefore(client.closedAt! - sent, 290) };
      });
      expect(seen).toEqual(both({ how: 'RST', after: '≥ 290 ms' }));
    });

    it('closes a connection it joined later with a plain FIN', async () => {
      const seen = await onBoth(echo, async ({ connect, upstream, addToxic }) => {
        const client = await connect();
        client.socket.write('hi');
        await client.received(2); // the connection is set up on both sides before the toxic comes
        await addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
        client.socket.write('hello');
        await client.closed();
        const server = await upstream();
        await server.closed();
        return { client: client.how, upstream: server.how, upstreamGot: server.data };
      });
      expect(seen).toEqual(both({ client: 'FIN', upstream: 'FIN', upstreamGot: 'hi' }));
    });

    it('leaves a connection opened under it closing with a reset ever after, even one its toxicity spared', async () => {
      const seen = await onBoth(echo, async ({ connect, upstream, addToxic, proxy }) => {
        const toxic = await addToxic({ type: 'reset_peer', toxicity: 0, attributes: { timeout: 0 } });
        const ended = await connect();
        const cut = await connect();
        for (const client of [ended, cut]) {
          client.socket.write('z');
          await client.received(1); // set up on both sides while the toxic is there
        }
        await toxic.remove();
        ended.socket.end();
        await ended.closed();
        await proxy.update({ ...proxy.toJson(), enabled: false });
        await cut.closed();
        return { echoed: ended.data, endedByClient: ended.how, upstream: (await upstream(0)).how, cutByDisable: cut.how };
      });
      expect(seen).toEqual(both({ echoed: 'z', endedByClient: 'RST', upstream: 'RST', cutByDisable: 'RST' }));
    });

    it('once counting down, makes its removal wait for the reset', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        const toxic = await addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 400 } });
        const client = await connect();
        const sent = performance.now();
        client.socket.write('hello');
        await sleep(100);
        await toxic.remove();
        const removed = performance.now() - sent;
        await client.closed();
        return { removal: notBefore(removed, 390), how: client.how, got: client.data };
      });
      expect(seen).toEqual(both({ removal: '≥ 390 ms', how: 'RST', got: '' }));
    });
  });

  describe('limit_data', () => {
    it('lets exactly that many bytes through, then closes', async () => {
      const payload = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
      const seen = await onBoth(
        (socket) => socket.write(payload),
        async ({ connect, addToxic }) => {
          await addToxic({ type: 'limit_data', attributes: { bytes: 1000 } });
          const client = await connect();
          await client.closed();
          return { exact: client.data === payload.slice(0, 1000), how: client.how };
        },
      );
      expect(seen).toEqual(both({ exact: true, how: 'FIN' }));
    });

    it('counts one direction over many writes', async () => {
      const seen = await onBoth(silent, async ({ connect, upstream, addToxic }) => {
        await addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } });
        const client = await connect();
        for (const word of ['abcd', 'efgh', 'ijkl']) {
          client.socket.write(word);
          await sleep(20);
        }
        const server = await upstream();
        await server.closed();
        await client.closed();
        return { upstreamGot: server.data, upstream: server.how, client: client.how };
      });
      expect(seen).toEqual(both({ upstreamGot: 'abcdefghij', upstream: 'FIN', client: 'FIN' }));
    });

    it('keeps its count when updated', async () => {
      const seen = await onBoth(
        (socket) => {
          const ticks = setInterval(() => socket.writable && socket.write('0123456789'), 30);
          socket.once('close', () => clearInterval(ticks));
        },
        async ({ connect, addToxic }) => {
          const toxic = await addToxic({ type: 'limit_data', attributes: { bytes: 1000 } });
          const client = await connect();
          await client.received(30);
          await toxic.update({ attributes: { bytes: 50 } } as never);
          await client.closed();
          return { got: client.data.length, how: client.how };
        },
      );
      expect(seen).toEqual(both({ got: 50, how: 'FIN' }));
    });

    it('closes at the first chunk with a limit of 0 or less', async () => {
      const seen = await onBoth(
        (socket) => socket.write('abc'),
        async ({ connect, addToxic }) => {
          await addToxic({ type: 'limit_data', attributes: { bytes: -5 } });
          const client = await connect();
          await client.closed();
          return { got: client.data, how: client.how };
        },
      );
      expect(seen).toEqual(both({ got: '', how: 'FIN' }));
    });

    it("closes only once what the other direction's toxics hold has arrived", async () => {
      const seen = await onBoth(
        (socket) => socket.once('data', () => socket.write('reply')),
        async ({ connect, addToxic }) => {
          await addToxic({ type: 'latency', attributes: { latency: 300 } });
          await addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 2 } });
          const client = await connect();
          const sent = performance.now();
          client.socket.write('q');
          await sleep(50);
          client.socket.write('qq'); // over the limit: the upstream side closes
          await client.closed();
          return { got: client.data, how: client.how, closed: notBefore(client.closedAt! - sent, 290) };
        },
      );
      expect(seen).toEqual(both({ got: 'reply', how: 'FIN', closed: '≥ 290 ms' }));
    });
  });

  describe('toxicity', () => {
    it('applies a toxic of toxicity 1 (or more) to every connection, of 0 (or less) to none', async () => {
      const seen = await onBoth(echo, async ({ connect, addToxic }) => {
        await addToxic({ name: 'never', type: 'timeout', stream: 'upstream', toxicity: -1, attributes: { timeout: 0 } });
        await addToxic({ name: 'none', type: 'timeout', stream: 'upstream', toxicity: 0, attributes: { timeout: 0 } });
        await addToxic({ name: 'always', type: 'latency', toxicity: 2, attributes: { latency: 200 } });
        const trips: string[] = [];
        for (let i = 0; i < 3; i++) {
          const client = await connect();
          const sent = performance.now();
          client.socket.write('ping');
          await client.received(4);
          trips.push(notBefore(client.arrivals[0]!.at - sent, 195));
        }
        return trips;
      });
      expect(seen).toEqual(both(['≥ 195 ms', '≥ 195 ms', '≥ 195 ms']));
    });
  });

  describe('API answers', () => {
    it('gives the same status codes for the same requests', async () => {
      const seen = await onBoth(silent, async ({ toxiproxy, proxy }) => {
        const toxics = `${proxy.getPath()}/toxics`;
        const post = (path: string, body: unknown): Promise<number> => statusOf(toxiproxy.api.post(path, body));
        const name = proxy.name;
        return {
          proxyTwice: await statusOf(toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:1' })),
          proxyWithoutName: await post(`${toxiproxy.host}/proxies`, { upstream: '127.0.0.1:1' }),
          proxyWithoutUpstream: await post(`${toxiproxy.host}/proxies`, { name: `${name}-x` }),
          upstreamWithoutPort: await post(`${toxiproxy.host}/proxies`, { name: `${name}-u`, listen: '127.0.0.1:0', upstream: 'no-port' }).finally(() =>
            toxiproxy.api.delete(`${toxiproxy.host}/proxies/${name}-u`).catch(() => {}),
          ),
          listenWithoutPort: await post(`${toxiproxy.host}/proxies`, { name: `${name}-l`, listen: 'no-port', upstream: '127.0.0.1:1' }),
          moveToBadListen: await post(proxy.getPath(), { listen: 'nonsense' }),
          missingProxy: await statusOf(toxiproxy.get(`${name}-missing`)),
          deleteMissingProxy: await statusOf(toxiproxy.api.delete(`${toxiproxy.host}/proxies/${name}-missing`)),
          toxicOnMissingProxy: await post(`${toxiproxy.host}/proxies/${name}-missing/toxics`, { type: 'latency' }),
          unknownType: await post(toxics, { type: 'gremlins' }),
          noType: await post(toxics, {}),
          badStream: await post(toxics, { type: 'latency', stream: 'sideways' }),
          shortStream: await post(toxics, { type: 'latency', stream: 'up' }),
          textAttribute: await post(toxics, { type: 'latency', attributes: { latency: 'slow' } }),
          fractionAttribute: await post(toxics, { type: 'latency', attributes: { latency: 1.5 } }),
          textToxicity: await post(toxics, { type: 'latency', toxicity: 'half' }),
          negativeLatency: await post(toxics, { name: 'negative', type: 'latency', attributes: { latency: -5 } }),
          toxicityAboveOne: await post(toxics, { name: 'above', type: 'latency', toxicity: 2 }),
          first: await post(toxics, { type: 'latency' }),
          sameNameAgain: await post(toxics, { type: 'latency' }),
          missingToxic: await statusOf(proxy.getToxic('missing')),
          updateMissingToxic: await post(`${toxics}/missing`, { attributes: { latency: 1 } }),
          deleteMissingToxic: await statusOf(toxiproxy.api.delete(`${toxics}/missing`)),
          updateWithText: await post(`${toxics}/latency_downstream`, { attributes: { latency: 'x' } }),
          unknownRoute: await statusOf(toxiproxy.api.get(`${toxiproxy.host}/nowhere`)),
          wrongMethod: await statusOf(toxiproxy.api.delete(`${toxiproxy.host}/proxies`)),
        };
      });
      expect(seen).toEqual(
        both({
          proxyTwice: 409,
          proxyWithoutName: 400,
          proxyWithoutUpstream: 400,
          upstreamWithoutPort: 200, // checked when a client connects
          listenWithoutPort: 500,
          moveToBadListen: 500,
          missingProxy: 404,
          deleteMissingProxy: 404,
          toxicOnMissingProxy: 404,
          unknownType: 400,
          noType: 400,
          badStream: 400,
          shortStream: 400,
          textAttribute: 400,
          fractionAttribute: 400,
          textToxicity: 400,
          negativeLatency: 200,
          toxicityAboveOne: 200,
          first: 200,
          sameNameAgain: 409,
          missingToxic: 404,
          updateMissingToxic: 404,
          deleteMissingToxic: 404,
          updateWithText: 400,
          unknownRoute: 404,
          wrongMethod: 405,
        }),
      );
    });

    it('shows toxics back the same: defaults, names, the stream as spelled, errors', async () => {
      const seen = await onBoth(silent, async ({ toxiproxy, proxy }) => {
        const toxics = `${proxy.getPath()}/toxics`;
        const body = async (call: Promise<{ data?: unknown }>): Promise<unknown> => (await call).data;
        const errorOf = (path: string, payload: unknown): Promise<unknown> =>
          fetch(path, { method: 'POST', body: JSON.stringify(payload) }).then((response) => response.json());
        return {
          defaults: await body(toxiproxy.api.post(toxics, { type: 'latency' })),
          spelled: await body(toxiproxy.api.post(toxics, { type: 'bandwidth', stream: 'Upstream', toxicity: 0.1 })),
          eachType: [
            await body(toxiproxy.api.post(toxics, { type: 'slow_close', stream: 'upstream' })),
            await body(toxiproxy.api.post(toxics, { type: 'timeout', stream: 'upstream' })),
            await body(toxiproxy.api.post(toxics, { type: 'reset_peer', stream: 'upstream' })),
            await body(toxiproxy.api.post(toxics, { type: 'limit_data', stream: 'upstream' })),
          ],
          updated: await body(toxiproxy.api.post(`${toxics}/latency_downstream`, { attributes: { jitter: 7 }, toxicity: 0.5 })),
          listed: await body(toxiproxy.api.get(toxics)),
          duplicate: await errorOf(toxics, { type: 'latency' }),
          unknown: await errorOf(toxics, { type: 'gremlins' }),
          stream: await errorOf(toxics, { type: 'latency', stream: 'down' }),
          missing: await errorOf(`${toxics}/missing`, {}),
        };
      });
      const latency = { attributes: { latency: 0, jitter: 7 }, name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 0.5 };
      const bandwidth = { attributes: { rate: 0 }, name: 'bandwidth_Upstream', type: 'bandwidth', stream: 'Upstream', toxicity: 0.1 };
      const eachType = [
        { attributes: { delay: 0 }, name: 'slow_close_upstream', type: 'slow_close', stream: 'upstream', toxicity: 1 },
        { attributes: { timeout: 0 }, name: 'timeout_upstream', type: 'timeout', stream: 'upstream', toxicity: 1 },
        { attributes: { timeout: 0 }, name: 'reset_peer_upstream', type: 'reset_peer', stream: 'upstream', toxicity: 1 },
        { attributes: { bytes: 0 }, name: 'limit_data_upstream', type: 'limit_data', stream: 'upstream', toxicity: 1 },
      ];
      expect(seen).toEqual(
        both({
          defaults: { ...latency, attributes: { latency: 0, jitter: 0 }, toxicity: 1 },
          spelled: bandwidth,
          eachType,
          updated: latency,
          listed: [bandwidth, ...eachType, latency], // upstream first, then downstream
          duplicate: { error: 'toxic already exists', status: 409 },
          unknown: { error: 'invalid toxic type', status: 400 },
          stream: { error: 'stream was invalid, can be either upstream or downstream', status: 400 },
          missing: { error: 'toxic not found', status: 404 },
        }),
      );
    });

    it('refuses a negative bandwidth, which Toxiproxy accepts and then crashes on', async () => {
      const seen = await onBoth(silent, ({ toxiproxy, proxy }) =>
        statusOf(toxiproxy.api.post(`${proxy.getPath()}/toxics`, { type: 'bandwidth', attributes: { rate: -1 } })),
      );
      // The one answer that differs on purpose: Toxiproxy 2.12.0 slices chunks by rate × 100
      // bytes, and a negative slice panics its process at the first chunk through the toxic.
      expect(seen).toEqual({ [REAL]: 200, [BUILT_IN]: 400 });
    });
  });
});
