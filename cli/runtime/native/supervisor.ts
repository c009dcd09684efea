/**
 * The native supervisor: owns every process of the stack, starts them phase by phase, notices
 * and reports a member that dies (it restarts nothing by itself: an injected fault must stay
 * until it is healed), and answers a small control API on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LabError, messageOf } from '../../lib/errors.js';
import { lastLines, waitFor } from '../../lib/wait.js';
import { writeJsonAtomic, type Failure, type HomePaths, type StackEvent, type StackPhase, type StateFile } from './home.js';
import { MEMBER_ACTIONS, signalName, type MemberAction, type MemberState, type MemberStatus } from '../common/index.js';
import type { MemberDef } from './member.js';
import { hostMetrics } from './host-metrics.js';
import { LOG_CHECK_INTERVAL_MS, LOG_LIMIT_BYTES, readTail, rotateIfOver } from './log-files.js';
import { processStartTime, processTree, waitUntilStopped } from './processes.js';

export interface SupervisorOptions {
  paths: HomePaths;
  members: MemberDef[];
  /** Work between phases: after phase N is ready, `bootstrap[N]` runs (create topics, roles, links). */
  bootstrap: Record<number, Array<{ name: string; run: () => Promise<void> }>>;
  log: (message: string) => void;
  /** Size past which a member's log (and the supervisor's own) is rotated, and how often that is looked at. */
  logLimitBytes?: number;
  logCheckMs?: number;
}

interface Member {
  def: MemberDef;
  state: MemberState;
  healthy: boolean;
  child?: ChildProcess;
  pid: number | null;
  startTime?: string;
  startedAt?: string;
  message?: string;
  /** Log file offset at the last start: readiness looks only at what this start wrote. */
  logOffset: number;
  /** Set while the supervisor itself stops or signals it, so the exit is not reported as a crash. */
  expectExit?: string;
  exited?: Promise<void>;
}

const EVENT_LIMIT = 200;

export interface Supervisor {
  /** Starts every phase; resolves when all are ready, rejects (having stopped everything) otherwise. */
  start(): Promise<void>;
  /** Stops every member in reverse order. */
  stopAll(): Promise<void>;
  /** Serves the control API on 127.0.0.1 and returns its URL and token. */
  listen(): Promise<{ url: string; token: string; server: Server }>;
  status(): StateFile;
}

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { paths, log } = options;
  const members = new Map<string, Member>(options.members.map((def) => [def.name, { def, state: 'pending', healthy: false, pid: null, logOffset: 0 }]));
  let phase: StackPhase = 'starting';
  let failure: Failure | undefined;
  const events: StackEvent[] = [];
  let persistQueued = false;
  let writing: Promise<void> = Promise.resolve();

  const statusOf = (m: Member): MemberStatus & { startTime?: string } => ({
    name: m.def.name,
    kind: m.def.kind,
    state: m.state,
    healthy: m.healthy,
    address: m.def.address,
    pid: m.pid,
    ...(m.startTime ? { startTime: m.startTime } : {}),
    ...(m.startedAt ? { startedAt: m.startedAt } : {}),
    ...(m.message ? { message: m.message } : {}),
  });

  const status = (): StateFile => ({
    runtime: 'native',
    phase,
    members: [...members.values()].map(statusOf),
    ...(failure ? { failure } : {}),
    events: events.slice(),
    updatedAt: new Date().toISOString(),
  });

  /** State goes to disk on every change, so `down` can clean up even after the supervisor died. */
  const persist = () => {
    if (persistQueued) return;
    persistQueued = true;
    queueMicrotask(() => {
      persistQueued = false;
      const snapshot = status();
      // One write at a time, in order, so the file always ends with the latest state.
      writing = writing.then(() => writeJsonAtomic(paths.state, snapshot)).catch((error) => log(`cannot write state: ${messageOf(error)}`));
    });
  };

  const event = (member: string, message: string) => {
    events.push({ time: new Date().toISOString(), member, message });
    if (events.length > EVENT_LIMIT) events.shift();
    log(`${member}: ${message}`);
    persist();
  };

  /** What the member wrote since its last start (its last 8 MiB: readiness and error reports look at the end). */
  const logText = (m: Member) => {
    try {
      return readTail(paths.memberLog(m.def.name), 8 * 1024 * 1024, m.logOffset);
    } catch {
      return '';
    }
  };

  const logLimit = options.logLimitBytes ?? LOG_LIMIT_BYTES;
  /** Rotates the logs past the limit; a rotated member's output since its start now begins at 0. */
  const rotateLogs = () => {
    for (const name of [...members.keys(), 'supervisor']) {
      try {
        if (!rotateIfOver(paths.memberLog(name), { limit: logLimit, open: true })) continue;
        const m = members.get(name);
        if (m) m.logOffset = 0;
        log(`${name}.log passed ${Math.round(logLimit / 1024)} KiB: the part before is in ${name}.log.1`);
      } catch (error) {
        log(`cannot rotate ${name}.log: ${messageOf(error)}`);
      }
    }
  };
  const logRotation = setInterval(rotateLogs, options.logCheckMs ?? LOG_CHECK_INTERVAL_MS);
  logRotation.unref();

  const memberOrThrow = (name: string): Member => {
    const m = members.get(name);
    if (!m) throw new LabError(`no member named "${name}"`, { hint: `members: ${[...members.keys()].join(', ')}`, exitCode: 1, details: { status: 404 } });
    return m;
  };

  async function spawnMember(m: Member): Promise<void> {
    const { def } = m;
    const file = paths.memberLog(def.name);
    await mkdir(paths.logs, { recursive: true });
    rotateIfOver(file, { limit: logLimit, open: false }); // its process has ended
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, `\n=== ${new Date().toISOString()} starting ${def.name}: ${def.command} ${def.args.join(' ')}\n`);
      m.logOffset = statSync(file).size;
      const child = spawn(def.command, def.args, {
        cwd: def.cwd,
        env: { ...process.env, ...def.env },
        stdio: ['ignore', fd, fd],
        uid: def.uid,
        gid: def.gid,
      });
      m.child = child;
      m.expectExit = undefined;
      m.message = undefined;
      m.state = 'starting';
      m.healthy = false;
      m.exited = new Promise((resolve) => {
        child.once('exit', (code, sig) => {
          const how = sig ? `killed by ${sig}` : `exited with code ${code}`;
          const expected = m.expectExit;
          m.child = undefined;
          m.pid = null;
          m.startTime = undefined;
          m.healthy = false;
          m.state = expected === 'stop' ? 'stopped' : 'exited';
          m.message = expected === 'stop' ? undefined : expected ? `${how}, ${expected}` : how;
          if (expected !== 'stop') event(def.name, expected ? m.message! : `died: ${how} — not restarted; \`pizza-lab fault start ${def.name}\` starts it`);
          persist();
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (error) => {
          m.state = 'failed';
          m.message = error.message;
          reject(new LabError(`${def.name} could not start: ${error.message}`));
        });
      });
      m.pid = child.pid ?? null;
      m.startTime = child.pid ? processStartTime(child.pid) : undefined;
      m.startedAt = new Date().toISOString();
      persist();
    } finally {
      closeSync(fd);
    }
  }

  async function startMember(m: Member): Promise<void> {
    if (m.child && m.state !== 'exited' && m.state !== 'stopped') return;
    await m.def.prepare?.();
    await spawnMember(m);
    event(m.def.name, `starting (pid ${m.pid})`);
    const started = Date.now();
    await waitFor(m.def.name, m.def.ready, {
      logText: () => logText(m),
      exited: () => (m.child ? undefined : m.message ?? 'exited'),
    });
    m.state = 'running';
    m.healthy = true;
    event(m.def.name, `ready in ${Date.now() - started} ms`);
  }

  async function stopMember(m: Member, reason: 'stop' | string = 'stop'): Promise<void> {
    const child = m.child;
    if (!child) {
      if (m.state === 'pending' || m.state === 'exited' || m.state === 'failed') m.state = m.state === 'pending' ? 'stopped' : m.state;
      return;
    }
    m.expectExit = reason;
    m.state = 'stopping';
    persist();
    child.kill(m.def.stopSignal);
    // A paused process cannot act on the signal until it runs again.
    if (child.pid) signalTree(child.pid, 'SIGCONT');
    const exited = m.exited!;
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), m.def.stopTimeoutMs))]);
    if (timedOut) {
      event(m.def.name, `did not stop within ${m.def.stopTimeoutMs} ms — sending SIGKILL`);
      child.kill('SIGKILL');
      await exited;
    }
  }

  async function control(name: string, action: MemberAction, sig?: string): Promise<MemberStatus> {
    const m = memberOrThrow(name);
    switch (action) {
      case 'start':
        if (m.state === 'paused') return control(name, 'resume');
        await startMember(m);
        break;
      case 'stop':
        await stopMember(m);
        m.state = 'stopped';
        event(name, 'stopped on request');
        break;
      case 'restart':
        await stopMember(m);
        m.state = 'stopped';
        await startMember(m);
        break;
      case 'kill': {
        const normalized = signalName(sig) as NodeJS.Signals;
        if (!m.child) throw new LabError(`${name} is not running (${m.state})`, { details: { status: 409 } });
        m.expectExit = 'on request';
        try {
          m.child.kill(normalized);
        } catch (error) {
          throw new LabError(`cannot send ${normalized} to ${name}: ${messageOf(error)}`, { details: { status: 400 } });
        }
        if (m.state === 'paused' && normalized !== 'SIGKILL') signalTree(m.child.pid!, 'SIGCONT');
        await Promise.race([m.exited, new Promise((r) => setTimeout(r, 5000))]);
        break;
      }
      case 'pause':
        if (!m.child) throw new LabError(`${name} is not running (${m.state})`, { details: { status: 409 } });
        // The whole tree: PostgreSQL answers from backend processes, not from its postmaster.
        signalTree(m.child.pid!, 'SIGSTOP');
        // Answered once it is stopped indeed, so that what follows a pause meets a paused member.
        if (!(await waitUntilStopped(m.child.pid!, 2000))) event(name, 'SIGSTOP sent, but not every process of it had stopped after 2 s');
        m.state = 'paused';
        m.healthy = false;
        event(name, 'paused (SIGSTOP)');
        break;
      case 'resume':
        if (!m.child) throw new LabError(`${name} is not running (${m.state})`, { details: { status: 409 } });
        signalTree(m.child.pid!, 'SIGCONT');
        m.state = 'running';
        event(name, 'resumed (SIGCONT)');
        m.healthy = await m.def.health.check({});
        break;
    }
    persist();
    return statusOf(m);
  }

  const phases = [...new Set(options.members.map((m) => m.phase))].sort((a, b) => a - b);
  const allPhases = [...new Set([...phases, ...Object.keys(options.bootstrap).map(Number)])].sort((a, b) => a - b);

  async function start(): Promise<void> {
    persist();
    try {
      for (const p of allPhases) {
        const inPhase = [...members.values()].filter((m) => m.def.phase === p);
        const results = await Promise.allSettled(inPhase.map((m) => startMember(m)));
        const failedIndex = results.findIndex((r) => r.status === 'rejected');
        if (failedIndex >= 0) {
          const m = inPhase[failedIndex]!;
          const error = (results[failedIndex] as PromiseRejectedResult).reason;
          const details = (error as LabError).details as { lastLogLines?: string[] } | undefined;
          if (m.child) m.state = 'failed';
          throw Object.assign(new LabError(messageOf(error), { cause: error }), { failure: { member: m.def.name, message: messageOf(error), lastLogLines: details?.lastLogLines ?? lastLines(logText(m)) } });
        }
        for (const step of options.bootstrap[p] ?? []) {
          const started = Date.now();
          try {
            await step.run();
          } catch (error) {
            throw Object.assign(new LabError(`${step.name} failed: ${messageOf(error)}`, { cause: error }), { failure: { member: step.name, message: `${step.name} failed: ${messageOf(error)}`, lastLogLines: [] } });
          }
          event('supervisor', `${step.name} done in ${Date.now() - started} ms`);
        }
      }
      phase = 'up';
      event('supervisor', 'every member is ready');
    } catch (error) {
      failure = (error as { failure?: Failure }).failure ?? { member: 'supervisor', message: messageOf(error), lastLogLines: [] };
      phase = 'failed';
      event(failure.member, `failed to start: ${failure.message}`);
      await stopAll('failed');
      throw error;
    }
  }

  async function stopAll(finalPhase: StackPhase = 'stopped'): Promise<void> {
    phase = finalPhase === 'failed' ? 'failed' : 'stopping';
    persist();
    for (const p of [...phases].reverse()) {
      const inPhase = [...members.values()].filter((m) => m.def.phase === p);
      await Promise.all(inPhase.map((m) => stopMember(m).catch((error) => log(`stopping ${m.def.name}: ${messageOf(error)}`))));
    }
    if (finalPhase !== 'failed') phase = 'stopped';
    clearInterval(logRotation);
    await writing;
    await writeJsonAtomic(paths.state, status());
  }

  /** Health probes while up: a member that stops answering is reported, never restarted. */
  const probe = setInterval(async () => {
    for (const m of members.values()) {
      if (m.state !== 'running' || !m.child) continue;
      const healthy = await m.def.health.check({ logText: () => logText(m) }).catch(() => false);
      if (healthy !== m.healthy) {
        m.healthy = healthy;
        event(m.def.name, healthy ? 'healthy again' : `unhealthy: ${m.def.health.target} failed`);
      }
    }
  }, 2000);
  probe.unref();

  /** Last resort when the supervisor itself exits: no child may outlive it. */
  process.once('exit', () => {
    for (const m of members.values()) m.child?.kill('SIGKILL');
  });

  async function listen(): Promise<{ url: string; token: string; server: Server }> {
    const token = randomBytes(16).toString('hex');
    const server = createServer((req, res) => {
      handle(req, res, token).catch((error) => reply(res, 500, { error: 'internal', message: messageOf(error) }));
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, token, server };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, token: string): Promise<void> {
    // Read-only host and member figures for Prometheus-style scraping: no token needed.
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(hostMetrics([...members.values()].map((m) => ({ name: m.def.name, pid: m.pid }))));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) return reply(res, 401, { error: 'unauthorized', message: 'missing or wrong token' });
    const url = new URL(req.url ?? '/', 'http://supervisor');
    const body = req.method === 'POST' ? await readBody(req) : {};
    if (req.method === 'GET' && url.pathname === '/status') return reply(res, 200, status());
    if (req.method === 'POST' && url.pathname === '/shutdown') {
      reply(res, 202, { message: 'stopping' });
      void shutdown();
      return;
    }
    const match = /^\/members\/([^/]+)\/([a-z]+)$/.exec(url.pathname);
    if (req.method === 'POST' && match) {
      const [, name, action] = match;
      if (!MEMBER_ACTIONS.includes(action as MemberAction)) return reply(res, 400, { error: 'bad-action', message: `unknown action "${action}"`, details: { actions: MEMBER_ACTIONS } });
      try {
        return reply(res, 200, await control(decodeURIComponent(name!), action as MemberAction, (body as { signal?: string }).signal));
      } catch (error) {
        const statusCode = ((error as LabError).details as { status?: number } | undefined)?.status ?? 500;
        return reply(res, statusCode, { error: 'control-failed', message: messageOf(error), hint: (error as LabError).hint });
      }
    }
    return reply(res, 404, { error: 'not-found', message: `${req.method} ${url.pathname} is not part of the control API` });
  }

  let shuttingDown: Promise<void> | undefined;
  function shutdown(): Promise<void> {
    shuttingDown ??= (async () => {
      clearInterval(probe);
      event('supervisor', 'shutting down');
      await stopAll();
      log('every member stopped; supervisor exits');
      process.exit(0);
    })();
    return shuttingDown;
  }
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void shutdown());

  return { start, stopAll, listen, status };
}

function signalTree(pid: number, sig: NodeJS.Signals): void {
  for (const p of processTree(pid)) {
    try {
      process.kill(p, sig);
    } catch {
      // it ended meanwhile
    }
  }
}

function reply(res: ServerResponse, statusCode: number, body: unknown): void {
  res.writeHead(statusCode, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) throw new LabError('request body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

