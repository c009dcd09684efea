/**
 * The compose runtime's Engine API calls, against a fake Docker Engine served on a unix socket
 * (the real engine is absent where these run): status mapped to members, every control action
 * on the right endpoint, logs demultiplexed, engine failures as one-line errors — and `up` and
 * `down` driving a fake `docker` CLI that records what it was asked to do.
 */
import { appendFile, chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFaultController } from '../../faults/controller.js';
import { LabError, StackNotRunningError } from '../../lib/errors.js';
import { projectRoot } from '../../lib/paths.js';
import { findStack, stopStack } from '../index.js';
import type { UpProgress } from '../native/native-stack.js';
import { defaultStackOptions, planStack, type StackOptions, type StackPlan } from '../stack-spec.js';
import { buildBaseImages, composeFiles, IMAGES, serviceImage } from './compose-file.js';
import { readComposeRecord, recordComposeLab } from './compose-home.js';
import { ComposeStack, downCompose, findComposeStack, upCompose } from './compose-stack.js';

// ---------------------------------------------------------------------------------------------
// A fake Docker Engine: just the endpoints the runtime uses, with the engine's answers and
// error shapes, recording every call.

interface FakeContainer {
  id: string;
  service: string;
  /** The `pizza-lab.member` label the generated compose file sets. */
  member?: string;
  /** The `pizza-lab.kind` label (`tool` for a monitoring tool). */
  kind?: string;
  number?: number;
  project?: string;
  oneoff?: boolean;
  status: 'running' | 'paused' | 'exited' | 'created';
  /** undefined: the container has no health check. */
  health?: 'healthy' | 'unhealthy' | 'starting';
  pid: number;
  exitCode: number;
  /** Multiplexed frames: 1 = stdout, 2 = stderr. */
  log: [1 | 2, string][];
  /** Inspects that still show health "starting" after a (re)start. */
  warmup?: number;
  /** Exits with this code as soon as it is started. */
  crashOnStart?: number;
  /** What its last health check printed. */
  healthOutput?: string;
  configFile?: string;
}

const frame = (stream: 1 | 2, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

class FakeEngine {
  calls: string[] = [];
  containers: FakeContainer[] = [];
  /** Images the engine has (every image the lab names, unless a test removes one). */
  images = new Set<string>([...Object.values(IMAGES), serviceImage(), ...buildBaseImages()]);
  /** Answers the next call whose "METHOD path" matches with this error. */
  failures: { match: RegExp; status: number; message: string }[] = [];
  private followers = new Map<string, ServerResponse[]>();
  private nextPid = 1000;
  private server!: Server;

  constructor(readonly socketPath: string) {}

  start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  stop(): Promise<void> {
    for (const list of this.followers.values()) for (const res of list) res.end();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  add(c: Partial<FakeContainer> & { service: string }): FakeContainer {
    const running = (c.status ?? 'running') === 'running' || c.status === 'paused';
    const container: FakeContainer = { id: `${c.service}-${c.number ?? 1}-${Math.random().toString(16).slice(2, 10)}`, status: 'running', pid: running ? this.nextPid++ : 0, exitCode: 0, log: [], ...c };
    this.containers.push(container);
    return container;
  }

  /** Appends a log line, sending it to every open `logs?follow=1`. */
  append(container: FakeContainer, stream: 1 | 2, text: string): void {
    container.log.push([stream, text]);
    for (const res of this.followers.get(container.id) ?? []) res.write(frame(stream, text));
  }

  private labels(c: FakeContainer): Record<string, string> {
    return {
      ...(c.member ? { 'pizza-lab.member': c.member } : {}),
      ...(c.kind ? { 'pizza-lab.kind': c.kind } : {}),
      'com.docker.compose.project': c.project ?? 'pizza-lab',
      'com.docker.compose.service': c.service,
      'com.docker.compose.container-number': String(c.number ?? 1),
      'com.docker.compose.oneoff': c.oneoff ? 'True' : 'False',
      'com.docker.compose.project.config_files': c.configFile ?? '/elsewhere/docker-compose.yml',
      'com.docker.compose.project.working_dir': '/elsewhere',
    };
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private started(c: FakeContainer): void {
    if (c.crashOnStart !== undefined) {
      c.status = 'exited';
      c.exitCode = c.crashOnStart;
      return;
    }
    c.status = 'running';
    c.pid = this.nextPid++;
    c.exitCode = 0;
    if (c.health !== undefined) {
      c.health = 'starting';
      c.warmup = 2;
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://engine');
    const path = url.pathname.replace(/^\/v[\d.]+/, '');
    const call = `${req.method} ${path}${url.search}`;
    this.calls.push(call);
    const failure = this.failures.findIndex((f) => f.match.test(call));
    if (failure >= 0) {
      const [f] = this.failures.splice(failure, 1);
      return this.send(res, f!.status, { message: f!.message });
    }

    if (req.method === 'GET' && path === '/containers/json') {
      const filters = JSON.parse(url.searchParams.get('filters') ?? '{}') as { label?: string[] };
      const all = url.searchParams.get('all') === 'true' || url.searchParams.get('all') === '1';
      const list = this.containers
        .filter((c) => all || c.status === 'running')
        .filter((c) => (filters.label ?? []).every((l) => {
          const [key, value] = l.split('=');
          return this.labels(c)[key!] === value;
        }))
        .map((c) => ({ Id: c.id, Names: [`/${c.project ?? 'pizza-lab'}-${c.service}-${c.number ?? 1}`], Image: 'pizza-lab', State: c.status, Status: c.status, Labels: this.labels(c) }));
      return this.send(res, 200, list);
    }

    // What `docker compose down` does to the engine, asked by the fake docker CLI below.
    if (req.method === 'POST' && path === '/fake/down') {
      this.containers = [];
      return this.send(res, 204);
    }

    const image = /^\/images\/(.+)\/json$/.exec(path);
    if (req.method === 'GET' && image) {
      const name = decodeURIComponent(image[1]!);
      return this.images.has(name) ? this.send(res, 200, { Id: `sha256:${name}`, RepoTags: [name] }) : this.send(res, 404, { message: `No such image: ${name}` });
    }

    const match = /^\/containers\/([^/]+)\/(json|logs|start|stop|restart|kill|pause|unpause)$/.exec(path);
    const c = match ? this.containers.find((x) => x.id === match[1]) : undefined;
    if (!match) return this.send(res, 404, { message: 'page not found' });
    if (!c) return this.send(res, 404, { message: `No such container: ${match[1]}` });
    const action = match[2]!;

    if (req.method === 'GET' && action === 'json') {
      let health = c.health;
      if (c.status === 'running' && c.warmup) {
        c.warmup--;
        if (c.warmup === 0) c.health = 'healthy';
        health = 'starting';
      }
      return this.send(res, 200, {
        Id: c.id,
        Name: `/pizza-lab-${c.service}-${c.number ?? 1}`,
        State: {
          Status: c.status,
          Running: c.status === 'running' || c.status === 'paused',
          Paused: c.status === 'paused',
          OOMKilled: false,
          Pid: c.status === 'running' || c.status === 'paused' ? c.pid : 0,
          ExitCode: c.exitCode,
          Error: '',
          StartedAt: '2025-11-25T18:00:00.000000000Z',
          FinishedAt: '0001-01-01T00:00:00Z',
          ...(health ? { Health: { Status: health, FailingStreak: 0, Log: c.healthOutput ? [{ ExitCode: 1, Output: `${c.healthOutput}\n` }] : [] } } : {}),
        },
        Config: { Tty: false, Labels: this.labels(c) },
      });
    }

    if (req.method === 'GET' && action === 'logs') {
      const tail = url.searchParams.get('tail');
      const lines = tail && tail !== 'all' ? c.log.slice(-Number(tail)) : c.log;
      res.writeHead(200, { 'content-type': 'application/vnd.docker.multiplexed-stream' });
      for (const [stream, text] of lines) res.write(frame(stream, text));
      if (url.searchParams.get('follow') === 'true' || url.searchParams.get('follow') === '1') {
        this.followers.set(c.id, [...(this.followers.get(c.id) ?? []), res]);
        res.on('close', () => this.followers.set(c.id, (this.followers.get(c.id) ?? []).filter((r) => r !== res)));
        return;
      }
      res.end();
      return;
    }

    if (req.method !== 'POST') return this.send(res, 404, { message: 'page not found' });
    const running = c.status === 'running';
    const notRunning = () => this.send(res, 409, { message: `Container ${c.id} is not running` });
    switch (action) {
      case 'start':
        if (running || c.status === 'paused') return this.send(res, 304);
        this.started(c);
        return this.send(res, 204);
      case 'stop':
        if (!running) return this.send(res, 304);
        c.status = 'exited';
        c.exitCode = c.service === 'kafka' ? 143 : 0;
        return this.send(res, 204);
      case 'restart':
        this.started(c);
        return this.send(res, 204);
      case 'kill': {
        if (!running) return notRunning();
        const signal = url.searchParams.get('signal') ?? 'SIGKILL';
        c.status = 'exited';
        c.exitCode = 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 9);
        return this.send(res, 204);
      }
      case 'pause':
        if (!running) return notRunning();
        c.status = 'paused';
        return this.send(res, 204);
      case 'unpause':
        if (c.status !== 'paused') return this.send(res, 409, { message: `Container ${c.id} is not paused` });
        c.status = 'running';
        return this.send(res, 204);
    }
    return this.send(res, 404, { message: 'page not found' });
  }
}

// ---------------------------------------------------------------------------------------------

let dir: string;
let engine: FakeEngine;
let docker: Docker;
let nextBase = 21_000 + Math.floor(Math.random() * 5000);

/** Options on ports nobody uses (the runtime checks the public ones before a first start). */
const labOptions = (overrides: Partial<StackOptions> = {}): StackOptions => {
  const base = (nextBase += 100);
  return defaultStackOptions({ ports: { gateway: base, kafka: base + 1, postgres: base + 2, faultApi: base + 3 }, portBase: base + 10, monitoring: [], ...overrides });
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pizza-lab-compose-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  engine = new FakeEngine(join(dir, `engine-${Math.random().toString(16).slice(2, 8)}.sock`));
  await engine.start();
  docker = new Docker({ socketPath: engine.socketPath });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await engine.stop();
});

/** A compose lab recorded in a folder of its own, on the fake engine. */
async function labOn(options: StackOptions, project = 'pizza-lab') {
  const home = await mkdtemp(join(dir, 'home-'));
  const record = await recordComposeLab(home, { options, project, composeFile: join(home, 'compose', 'docker-compose.yml'), socketPath: engine.socketPath });
  return { home, stack: new ComposeStack(home, record, planStack(options), { docker, readyTimeoutMs: 5000 }) };
}

/**
 * Every member as a healthy container, laid out as the generated compose file lays them out: one
 * service per member, named after it (the fault proxy is `toxiproxy`), labelled with the member;
 * plus a tool, which is not a member.
 */
function healthyLab(options: StackOptions, extra: Partial<FakeContainer> = {}) {
  const plan = planStack(options);
  const byName = new Map<string, FakeContainer>();
  const members = ['postgres', ...plan.brokers.map((b) => b.member), 'fault-proxy', ...plan.instances.map((i) => i.member)];
  for (const member of members) {
    const service = member === 'fault-proxy' ? 'toxiproxy' : member;
    byName.set(member, engine.add({ service, member, health: member === 'fault-proxy' ? undefined : 'healthy', ...extra }));
  }
  engine.add({ service: 'grafana', kind: 'tool', health: 'healthy', ...extra });
  engine.add({ service: 'kafka-ui', kind: 'tool', status: 'exited', exitCode: 1, ...extra });
  return byName;
}

describe('tools', () => {
  it('names the monitoring tools that run beside the lab, not those that do not', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    healthyLab(options);
    expect(await stack.tools()).toEqual(['grafana']);
  });
});

describe('status', () => {
  it('maps the project’s containers to the members of the plan, in the native order', async () => {
    const options = labOptions({ scale: { order: 3 } });
    const { stack } = await labOn(options);
    const plan = stack.plan;
    const at = (port: number) => `127.0.0.1:${port}`;
    const port = (member: string) => plan.instances.find((i) => i.member === member)!.port;

    const postgres = engine.add({ service: 'postgres', health: 'healthy' });
    engine.add({ service: 'kafka', health: 'starting' });
    const proxy = engine.add({ service: 'toxiproxy' });
    engine.add({ service: 'frontend', status: 'paused', health: 'healthy' });
    engine.add({ service: 'payment-provider', status: 'exited', exitCode: 137, health: 'healthy' });
    const orders = [1, 2, 3].map((number) => engine.add({ service: 'order', number, health: 'healthy' }));
    engine.add({ service: 'payment', health: 'unhealthy' });
    engine.add({ service: 'notification', status: 'exited', exitCode: 0 });
    engine.add({ service: 'gateway', health: 'healthy' });
    // Not members: monitoring, a one-off `compose run`, and another project's container.
    engine.add({ service: 'grafana', health: 'healthy' });
    engine.add({ service: 'order', number: 4, oneoff: true });
    engine.add({ service: 'postgres', project: 'someone-else' });

    const status = await stack.status();
    expect(status.runtime).toBe('compose');
    expect(status.members.map(({ startedAt: _ignored, ...m }) => m)).toEqual([
      { name: 'postgres', kind: 'postgres', state: 'running', healthy: true, address: at(options.ports.postgres), pid: postgres.pid },
      { name: 'kafka', kind: 'kafka', state: 'starting', healthy: false, address: at(options.ports.kafka), pid: expect.any(Number) },
      { name: 'fault-proxy', kind: 'fault-proxy', state: 'running', healthy: true, address: at(options.ports.faultApi), pid: proxy.pid },
      { name: 'frontend', kind: 'service', state: 'paused', healthy: false, address: at(port('frontend')), pid: expect.any(Number) },
      { name: 'payment-provider', kind: 'service', state: 'exited', healthy: false, address: at(port('payment-provider')), pid: null, message: 'killed by SIGKILL' },
      ...orders.map((o, i) => ({ name: `order-${i + 1}`, kind: 'service', state: 'running', healthy: true, address: at(port(`order-${i + 1}`)), pid: o.pid })),
      { name: 'payment', kind: 'service', state: 'running', healthy: false, address: at(port('payment')), pid: expect.any(Number), message: 'health check failing' },
      { name: 'notification', kind: 'service', state: 'stopped', healthy: false, address: at(port('notification')), pid: null },
      { name: 'dlq', kind: 'service', state: 'stopped', healthy: false, address: at(port('dlq')), pid: null, message: 'no container' },
      { name: 'gateway', kind: 'gateway', state: 'running', healthy: true, address: at(options.ports.gateway), pid: expect.any(Number) },
    ]);
    const list = engine.calls.find((c) => c.startsWith('GET /containers/json'))!;
    const query = new URL(list.split(' ')[1]!, 'http://engine').searchParams;
    expect(query.get('all')).toBe('true');
    expect(JSON.parse(query.get('filters')!)).toEqual({ label: ['com.docker.compose.project=pizza-lab'] });
  });

  it('reports three brokers as kafka-1..3 and only the project it recorded', async () => {
    const { stack } = await labOn(labOptions({ brokers: 3 }), 'pizza-lab-other');
    for (const n of [1, 2, 3]) engine.add({ service: `kafka-${n}`, project: 'pizza-lab-other', health: 'healthy' });
    engine.add({ service: 'kafka-1', health: 'healthy' });
    const members = (await stack.status()).members;
    expect(members.filter((m) => m.kind === 'kafka').map((m) => [m.name, m.state])).toEqual([['kafka-1', 'running'], ['kafka-2', 'running'], ['kafka-3', 'running']]);
    expect(members.filter((m) => m.message === 'no container').length).toBe(members.length - 3);
  });

  it('a project without containers is a lab that is not running', async () => {
    const { stack } = await labOn(labOptions());
    const error = (await stack.status().catch((e: unknown) => e)) as LabError;
    expect(error).toBeInstanceOf(StackNotRunningError);
    expect(`${error.message} — ${error.hint}`).toBe('the compose lab has no containers (project pizza-lab) — start it with `pizza-lab up`; `pizza-lab down` cleans up');
  });
});

describe('control', () => {
  it('stop, start, restart, kill (any signal), pause and resume each hit their endpoint', async () => {
    const options = labOptions({ scale: { order: 3 } });
    const { stack } = await labOn(options);
    const c = healthyLab(options);
    const payment = c.get('payment')!;
    const order2 = c.get('order-2')!;
    const since = () => {
      const mark = engine.calls.length;
      return () => engine.calls.slice(mark).filter((call) => call.startsWith('POST'));
    };

    let posts = since();
    expect(await stack.control('payment', 'stop')).toMatchObject({ name: 'payment', state: 'stopped', pid: null });
    expect(posts()).toEqual([`POST /containers/${payment.id}/stop`]);

    posts = since();
    const started = await stack.control('payment', 'start');
    // Like the native runtime, start returns once the member is healthy again.
    expect(started).toMatchObject({ state: 'running', healthy: true, pid: payment.pid });
    expect(posts()).toEqual([`POST /containers/${payment.id}/start`]);

    posts = since();
    expect(await stack.control('payment', 'start')).toMatchObject({ state: 'running' });
    expect(posts()).toEqual([]);

    posts = since();
    const before = payment.pid;
    expect(await stack.control('payment', 'restart')).toMatchObject({ state: 'running', healthy: true });
    expect(payment.pid).not.toBe(before);
    expect(posts()).toEqual([`POST /containers/${payment.id}/restart`]);

    posts = since();
    expect(await stack.control('order-2', 'kill', { signal: 'TERM' })).toMatchObject({ name: 'order-2', state: 'stopped', pid: null, message: 'killed by SIGTERM' });
    expect(posts()).toEqual([`POST /containers/${order2.id}/kill?signal=SIGTERM`]);
    await stack.control('order-2', 'start');

    posts = since();
    expect(await stack.control('order-2', 'kill')).toMatchObject({ state: 'exited', pid: null, message: 'killed by SIGKILL' });
    expect(posts()).toEqual([`POST /containers/${order2.id}/kill?signal=SIGKILL`]);

    posts = since();
    expect(await stack.control('payment', 'pause')).toMatchObject({ state: 'paused', healthy: false });
    expect(await stack.control('payment', 'resume')).toMatchObject({ state: 'running', healthy: true });
    expect(posts()).toEqual([`POST /containers/${payment.id}/pause`, `POST /containers/${payment.id}/unpause`]);
  });

  it('start of a paused member unpauses it (and starts nothing)', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    const notification = healthyLab(options).get('notification')!;
    await stack.control('notification', 'pause');
    const mark = engine.calls.length;
    expect(await stack.control('notification', 'start')).toMatchObject({ state: 'running', healthy: true, pid: notification.pid });
    expect(engine.calls.slice(mark).filter((call) => call.startsWith('POST'))).toEqual([`POST /containers/${notification.id}/unpause`]);
  });

  it('kill and pause of a member that is not running, an unknown signal or member: one line, no engine call', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    healthyLab(options);
    await stack.control('dlq', 'stop');
    const mark = engine.calls.length;
    await expect(stack.control('dlq', 'kill')).rejects.toThrow(/^dlq is not running \(stopped\)$/);
    await expect(stack.control('dlq', 'pause')).rejects.toThrow(/^dlq is not running \(stopped\)$/);
    await expect(stack.control('order', 'kill', { signal: 'NOPE' })).rejects.toThrow(/^cannot send NOPE to order: unknown signal$/);
    await expect(stack.control('ordr', 'stop')).rejects.toThrow(/^no member named "ordr"$/);
    expect(engine.calls.slice(mark).filter((call) => call.startsWith('POST'))).toEqual([]);
  });

  it('fault commands reach every instance of a service through the Engine API', async () => {
    const options = labOptions({ scale: { order: 3 } });
    const { stack } = await labOn(options);
    const containers = healthyLab(options);
    const orders = ['order-1', 'order-2', 'order-3'].map((name) => containers.get(name)!);
    const faults = createFaultController(stack);
    expect((await faults.member('order', 'pause')).map((m) => [m.name, m.state])).toEqual([['order-1', 'paused'], ['order-2', 'paused'], ['order-3', 'paused']]);
    expect(orders.map((c) => c.status)).toEqual(['paused', 'paused', 'paused']);
    await expect(faults.member('fault-proxy', 'kill')).rejects.toThrow(/fault-proxy cannot be faulted/);
  });

  it('a member that dies while starting is an error naming it', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    const dlq = healthyLab(options).get('dlq')!;
    await stack.control('dlq', 'stop');
    dlq.crashOnStart = 1;
    await expect(stack.control('dlq', 'start')).rejects.toThrow(/^dlq stopped while starting: exited with code 1$/);
  });
});

describe('logs', () => {
  it('demultiplexes stdout and stderr, honouring --lines', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    const order = healthyLab(options).get('order')!;
    order.log = [[1, '{"msg":"first"}\n'], [1, '{"msg":"listening"}\n'], [2, 'warning: on stderr\n'], [1, '{"msg":"last"}\n']];

    const out = collect();
    await stack.logs('order', out.stream);
    expect(out.text()).toBe('{"msg":"first"}\n{"msg":"listening"}\nwarning: on stderr\n{"msg":"last"}\n');

    const tail = collect();
    await stack.logs('order', tail.stream, { lines: 2 });
    expect(tail.text()).toBe('warning: on stderr\n{"msg":"last"}\n');
    expect(engine.calls.filter((c) => c.includes('/logs')).at(-1)).toMatch(/[?&]tail=2(&|$)/);
  });

  it('follows until the signal aborts', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    const payment = healthyLab(options).get('payment')!;
    payment.log = [[1, 'before\n']];
    const out = collect();
    const abort = new AbortController();
    const following = stack.logs('payment', out.stream, { follow: true, lines: 10, signal: abort.signal });
    await vi.waitFor(() => expect(out.text()).toBe('before\n'));
    engine.append(payment, 2, 'while following (stderr)\n');
    engine.append(payment, 1, 'and stdout\n');
    await vi.waitFor(() => expect(out.text()).toBe('before\nwhile following (stderr)\nand stdout\n'));
    abort.abort();
    await following;
  });

  it('an unknown name lists the members and the other containers', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    healthyLab(options);
    const error = await stack.logs('kafak', collect().stream).catch((e: LabError) => e);
    expect(error).toBeInstanceOf(LabError);
    expect((error as LabError).message).toBe('no member named "kafak"');
    expect((error as LabError).hint).toBe('members: postgres, kafka, fault-proxy, frontend, payment-provider, order, payment, notification, dlq, gateway, grafana, kafka-ui');
  });
});

describe('engine failures', () => {
  it('an engine error becomes a one-line LabError naming what was refused', async () => {
    const options = labOptions();
    const { stack } = await labOn(options);
    healthyLab(options);
    engine.failures.push({ match: /\/pause$/, status: 500, message: 'cannot pause: freezer cgroup missing\n\tat the second line' });
    const error = (await stack.control('payment', 'pause').catch((e: unknown) => e)) as LabError;
    expect(error).toBeInstanceOf(LabError);
    expect(error.message).toBe('the Docker engine could not pause payment: cannot pause: freezer cgroup missing');
  });

  it('an engine that does not answer is the same one-line error as a supervisor that does not', async () => {
    const options = labOptions();
    const { home } = await labOn(options);
    await engine.stop();
    const stack = findStack(home)!;
    expect(stack.runtime).toBe('compose');
    const error = (await stack.status().catch((e: unknown) => e)) as LabError;
    expect(error).toBeInstanceOf(StackNotRunningError);
    expect(`${error.message} — ${error.hint}`).toBe('the Docker engine does not answer — start Docker; `pizza-lab down` cleans up, `pizza-lab up` starts again');
    await engine.start();
  });
});

// ---------------------------------------------------------------------------------------------
// `up` and `down` through a fake docker CLI that records its arguments.

async function fakeDocker(script: { up?: string; down?: string; pull?: string; compose?: 'missing' }): Promise<{ command: string; log: string; calls: () => Promise<string[]> }> {
  const removeAll = `curl -s --unix-socket '${engine.socketPath}' -X POST http://engine/fake/down`;
  const bin = await mkdtemp(join(dir, 'bin-'));
  const log = join(bin, 'calls.log');
  const command = join(bin, 'docker');
  await writeFile(
    command,
    `#!/bin/sh
echo "$*" >> '${log}'
case "$*" in
  "compose version --short")
    ${script.compose === 'missing' ? `echo "docker: 'compose' is not a docker command." >&2; exit 1` : 'echo 2.29.7'} ;;
  compose*" up "*)
    ${script.up ?? 'echo " Container pizza-lab-postgres-1  Started" >&2; echo " Container pizza-lab-order-1  Healthy" >&2'} ;;
  compose*" down"*)
    ${script.down ?? `echo " Container pizza-lab-order-1  Removed" >&2; ${removeAll}`} ;;
  compose*" pull "*)
    ${script.pull ?? 'echo " Image x Error Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host" >&2'} ;;
esac
`,
  );
  await chmod(command, 0o755);
  return { command, log, calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean) };
}

describe('up and down', () => {
  it('writes the files, records the lab, runs compose up --wait with progress, and down forgets it', async () => {
    const options = labOptions();
    const home = await mkdtemp(join(dir, 'home-'));
    const file = join(home, 'compose', 'docker-compose.yml');
    healthyLab(options, { configFile: file });
    const cli = await fakeDocker({});
    const events: UpProgress[] = [];

    const setup = (plan: StackPlan) => appendFile(cli.log, `setup ${plan.topics.names.join(',')}\n`);

    const stack = await upCompose(options, { home, docker, socketPath: engine.socketPath, dockerCommand: cli.command, onProgress: (e) => events.push(e), setup });
    // The infrastructure first, then the roles and topics (as natively), then the services, built.
    expect(await cli.calls()).toEqual([
      'compose version --short',
      `compose -p pizza-lab -f ${file} up -d --wait postgres kafka toxiproxy`,
      `setup ${stack.plan.topics.names.join(',')}`,
      `compose -p pizza-lab -f ${file} up -d --wait --build ${stack.plan.instances.map((i) => i.member).join(' ')}`,
    ]);
    // The files compose was given are the ones generated for this plan.
    expect(await readFile(file, 'utf8')).toBe(composeFiles(stack.plan, { baseDir: dirname(file), root: projectRoot })['docker-compose.yml']);
    expect(await readFile(file, 'utf8')).toContain(`127.0.0.1:${options.ports.gateway}:${options.ports.gateway}`);
    expect(events.filter((e) => e.type === 'note').map((e) => (e as { message: string }).message)).toContain('Container pizza-lab-order-1  Healthy');
    const members = events.flatMap((e) => (e.type === 'member' ? [e.member] : []));
    expect(members.map((m) => m.name)).toEqual(['postgres', 'kafka', 'fault-proxy', ...stack.plan.instances.map((i) => i.member)]);
    expect(members.every((m) => m.state === 'running' && m.healthy)).toBe(true);

    expect(readComposeRecord(home)).toMatchObject({ runtime: 'compose', project: 'pizza-lab', composeFile: file, socketPath: engine.socketPath });
    const found = findComposeStack(home, { docker })!;
    expect(found.plan).toEqual(stack.plan);
    expect(findStack(home)?.runtime).toBe('compose');

    // `down` as the command runs it: the lab found from the folder, `docker` from PATH.
    vi.stubEnv('PATH', `${dirname(cli.command)}:${process.env.PATH}`);
    const said: string[] = [];
    expect(await stopStack({ home, volumes: true, onProgress: (m) => said.push(m) })).toEqual({ wasRunning: true });
    expect((await cli.calls()).at(-1)).toBe(`compose -p pizza-lab -f ${file} --profile monitoring down --remove-orphans -v`);
    expect(said).toContain('Container pizza-lab-order-1  Removed');
    expect(readComposeRecord(home)).toBeUndefined();
    expect(findStack(home)).toBeUndefined();
  });

  it('Ctrl-C during up stops compose and takes down what it started', async () => {
    const options = labOptions();
    const home = await mkdtemp(join(dir, 'home-'));
    const cli = await fakeDocker({ up: `echo " Container pizza-lab-kafka-1  Starting" >&2; sleep 30` });
    const abort = new AbortController();
    const up = upCompose(options, {
      home,
      docker,
      socketPath: engine.socketPath,
      dockerCommand: cli.command,
      signal: abort.signal,
      onProgress: (e) => {
        if (e.type === 'note' && e.message.includes('Starting')) abort.abort();
      },
    });
    const error = (await up.catch((e: unknown) => e)) as LabError;
    expect(error).toBeInstanceOf(LabError);
    expect(error).toMatchObject({ message: 'interrupted', exitCode: 130 });
    expect((await cli.calls()).at(-1)).toMatch(/^compose -p pizza-lab -f \S+ --profile monitoring down --remove-orphans$/);
    expect(readComposeRecord(home)).toBeUndefined();
  });

  it('a member that fails its health check: the error names it with its last log lines, and everything is taken down', async () => {
    const options = labOptions();
    const home = await mkdtemp(join(dir, 'home-'));
    const file = join(home, 'compose', 'docker-compose.yml');
    const payment = healthyLab(options, { configFile: file }).get('payment')!;
    payment.health = 'unhealthy';
    payment.log = [[2, 'Error: connect ECONNREFUSED 127.0.0.1:5432\n']];
    payment.healthOutput = 'pg: connection refused';
    const cli = await fakeDocker({ up: `case "$*" in *payment*) echo "dependency failed to start: container pizza-lab-payment-1 is unhealthy" >&2; exit 1;; esac` });
    const error = (await upCompose(options, { home, docker, socketPath: engine.socketPath, dockerCommand: cli.command, setup: async () => {} }).catch((e: unknown) => e)) as LabError;
    expect(error.message).toBe('payment failed to start: health check failing: pg: connection refused');
    expect(error.hint).toBe('see `pizza-lab logs payment` (everything already started was stopped)');
    expect(error.details).toEqual({ member: 'payment', lastLogLines: ['Error: connect ECONNREFUSED 127.0.0.1:5432'] });
    expect((await cli.calls()).at(-1)).toBe(`compose -p pizza-lab -f ${file} --profile monitoring down --remove-orphans`);
  });

  it('down that leaves a container behind says so, and keeps the lab recorded for another try', async () => {
    const options = labOptions();
    const { home } = await labOn(options);
    healthyLab(options);
    const cli = await fakeDocker({ down: 'echo " Network pizza-lab_default Resource is still in use" >&2' });
    const error = (await downCompose(home, { docker, dockerCommand: cli.command }).catch((e: unknown) => e)) as LabError;
    expect(error.message).toMatch(/^docker compose down did not take the lab down — 12 containers left \(pizza-lab-postgres-1, /);
    expect(error.hint).toBe('is Docker running? then run `pizza-lab down` again');
    expect(readComposeRecord(home)).toBeDefined();
  });

  it('refuses to take over a compose lab started from another folder', async () => {
    const options = labOptions();
    const home = await mkdtemp(join(dir, 'home-'));
    healthyLab(options, { configFile: '/somewhere/else/docker-compose.yml' });
    const cli = await fakeDocker({});
    const error = (await upCompose(options, { home, docker, socketPath: engine.socketPath, dockerCommand: cli.command }).catch((e: unknown) => e)) as LabError;
    expect(`${error.message} — ${error.hint}`).toBe('a compose lab from another folder is running (/elsewhere) — run `pizza-lab down` in that folder first, or use --runtime native');
    expect(await cli.calls()).toEqual(['compose version --short']);
    expect(readComposeRecord(home)).toBeUndefined();
  });

  it('Docker without Compose v2 is a one-line error that says what to install', async () => {
    const home = await mkdtemp(join(dir, 'home-'));
    const cli = await fakeDocker({ compose: 'missing' });
    const error = (await upCompose(labOptions(), { home, docker, socketPath: engine.socketPath, dockerCommand: cli.command }).catch((e: unknown) => e)) as LabError;
    expect(`${error.message} — ${error.hint}`).toBe("Docker Compose v2 is missing — install Docker Compose v2 (Docker's docker-compose-plugin package, or build it from its Go module: docs/compose.md#compose-v2), or use --runtime native");
  });

  it('an image that is neither on the engine nor pullable is a one-line error naming it, and nothing starts', async () => {
    const options = labOptions();
    const home = await mkdtemp(join(dir, 'home-'));
    engine.images.delete(IMAGES.kafka);
    const cli = await fakeDocker({});
    const error = (await upCompose(options, { home, docker, socketPath: engine.socketPath, dockerCommand: cli.command, setup: async () => {} }).catch((e: unknown) => e)) as LabError;
    expect(`${error.message} — ${error.hint}`).toBe(
      'image apache/kafka:3.9.1 is not on this Docker engine and could not be pulled (Image x Error Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host) — pull it where a registry answers (or `docker load` it), or use --runtime native',
    );
    const calls = await cli.calls();
    expect(calls.at(-1)).toMatch(/ pull --ignore-pull-failures kafka$/);
    expect(calls.some((c) => / up /.test(c))).toBe(false);
    expect(readComposeRecord(home)).toBeUndefined();
  });

  it('monitoring tools start after the lab, unwaited; one whose image cannot be had is left out with a warning', async () => {
    const options = labOptions({ monitoring: ['prometheus', 'grafana'] });
    const home = await mkdtemp(join(dir, 'home-'));
    const file = join(home, 'compose', 'docker-compose.yml');
    healthyLab(options, { configFile: file });
    engine.images.delete(IMAGES.grafana);
    const cli = await fakeDocker({});
    const events: UpProgress[] = [];
    await upCompose(options, { home, docker, socketPath: engine.socketPath, dockerCommand: cli.command, onProgress: (e) => events.push(e), setup: async () => {} });
    const calls = await cli.calls();
    expect(calls.slice(-2)).toEqual([`compose -p pizza-lab -f ${file} pull --ignore-pull-failures grafana`, `compose -p pizza-lab -f ${file} --profile monitoring up -d --no-deps prometheus`]);
    expect(events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual(['monitoring: grafana left out — its image grafana/grafana:12.1.1 is not on this engine and could not be pulled']);
  });
});

function collect() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}
