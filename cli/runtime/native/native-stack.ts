/**
 * The native runtime as the CLI sees it: `up` starts the supervisor detached and follows its
 * progress; every later command finds it through `.pizza-lab/` and talks to its control API.
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, openSync, statSync, watch } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { LabError, StackNotRunningError } from '../../lib/errors.js';
import { distPath } from '../../lib/paths.js';
import { lastLines } from '../../lib/wait.js';
import { type LogOptions, type Stack, type StackStatus } from '../stack.js';
import { defaultStackOptions, plannedMembers, planStack, portsOf, type StackOptions, type StackPlan } from '../stack-spec.js';
import { homePaths, readOptions, readState, readSupervisor, recordedProcesses, writeJsonAtomic, type HomePaths, type StateFile, type SupervisorInfo } from './home.js';
import { ensureKafka, type SetupProgress } from './kafka-dist.js';
import { readTail, rotateIfOver } from './log-files.js';
import type { MemberAction, MemberStatus } from '../common/index.js';
import { checkJava, checkPorts, requireChecks } from './prerequisites.js';
import { isAlive, refOf, signal, waitForExit, type ProcessRef } from './processes.js';
import { removePostgresData } from './postgres.js';

export type UpProgress =
  | { type: 'setup'; message: string; jars?: number }
  | { type: 'member'; member: MemberStatus; elapsedMs: number }
  | { type: 'note'; message: string }
  /** Something the lab runs without, said loudly (a monitoring tool that cannot start). */
  | { type: 'warning'; message: string };

export interface UpOptions {
  home: string;
  onProgress?: (event: UpProgress) => void;
  /** Aborting (Ctrl-C) stops everything already started. */
  signal?: AbortSignal;
  /** How long the whole start may take. */
  timeoutMs?: number;
}


const supervisorRef = (info: SupervisorInfo): ProcessRef => ({ pid: info.pid, startTime: info.startTime });

/** The running native lab in this folder, or undefined. */
export function findNativeStack(home: string): NativeStack | undefined {
  const paths = homePaths(home);
  const info = readSupervisor(paths);
  const options = readOptions(paths);
  if (!info || !options || !isAlive(supervisorRef(info))) return undefined;
  return new NativeStack(paths, info, planStack(options));
}

export class NativeStack implements Stack {
  readonly runtime = 'native' as const;

  constructor(
    readonly paths: HomePaths,
    readonly supervisor: SupervisorInfo,
    readonly plan: StackPlan,
  ) {}

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.supervisor.controlUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.supervisor.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new StackNotRunningError('the lab supervisor does not answer', { cause: error, retriable: true, hint: 'see .pizza-lab/logs/supervisor.log; `pizza-lab down` cleans up, `pizza-lab up` starts again' });
    }
    const json = (await response.json()) as T & { message?: string; hint?: string };
    if (!response.ok) throw new LabError(json.message ?? `supervisor answered ${response.status}`, { hint: json.hint });
    return json;
  }

  /** The supervisor's full report (phase, failure, events) as well as the members. */
  state(): Promise<StateFile> {
    return this.call<StateFile>('GET', '/status');
  }

  async status(): Promise<StackStatus> {
    const state = await this.state();
    return { runtime: 'native', members: state.members.map(({ startTime: _ignored, ...member }) => member) };
  }

  control(member: string, action: MemberAction, options: { signal?: string } = {}): Promise<MemberStatus> {
    return this.call<MemberStatus>('POST', `/members/${encodeURIComponent(member)}/${action}`, options.signal ? { signal: options.signal } : {});
  }

  logs(member: string, out: NodeJS.WritableStream, options: LogOptions = {}): Promise<void> {
    return writeMemberLog(this.paths, member, out, options, this.plan);
  }

  /** The native lab runs no monitoring tool: `pizza-lab dashboard` is its view. */
  async tools(): Promise<string[]> {
    return [];
  }

  async down(options: { volumes?: boolean; onProgress?: (message: string) => void } = {}): Promise<void> {
    await downNative(this.paths.home, options);
  }
}

/** Starts the native lab and resolves when every member is healthy. */
export async function upNative(options: StackOptions, up: UpOptions): Promise<NativeStack> {
  const paths = homePaths(up.home);
  const progress = up.onProgress ?? (() => {});

  const plan = planStack(options);
  const setup: SetupProgress = (event) => progress({ type: 'setup', message: event.message, jars: event.jars });
  // An existing Kafka (--kafka) needs neither the jars nor a JDK here.
  if (plan.brokers.length > 0) {
    await ensureKafka(setup);
    requireChecks([await checkJava()]);
  }
  await killLeftovers(paths, progress);
  requireChecks(await checkPorts(portsOf(plan)));

  await mkdir(paths.logs, { recursive: true });
  await mkdir(paths.data, { recursive: true });
  await rm(paths.supervisor, { force: true });
  await rm(paths.state, { force: true });
  await writeJsonAtomic(paths.options, options);

  rotateIfOver(paths.memberLog('supervisor'), { open: false }); // the last supervisor has ended
  const logFd = openSync(paths.memberLog('supervisor'), 'a');
  const child = spawn(process.execPath, ['--enable-source-maps', distPath('cli', 'runtime', 'native', 'supervisor-main.js'), paths.home], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  });
  closeSync(logFd);
  child.unref();
  const supervisorProcess = refOf(child.pid!);
  const started = Date.now();

  try {
    const info = await waitForSupervisor(paths, supervisorProcess, up.signal);
    const stack = new NativeStack(paths, info, plan);
    const seen = new Map<string, string>();
    const deadline = started + (up.timeoutMs ?? 180_000);
    for (;;) {
      if (up.signal?.aborted) throw new LabError('interrupted', { exitCode: 130 });
      let state: StateFile | undefined;
      try {
        state = await stack.state();
      } catch {
        state = readState(paths);
        if (!isAlive(supervisorProcess)) throw startFailure(paths, state);
      }
      for (const member of state?.members ?? []) {
        const key = `${member.state}/${member.healthy}`;
        if (seen.get(member.name) !== key) {
          seen.set(member.name, key);
          progress({ type: 'member', member, elapsedMs: Date.now() - started });
        }
      }
      if (state?.phase === 'up') return stack;
      if (state?.phase === 'failed') {
        await waitForExit(supervisorProcess, 30_000);
        throw startFailure(paths, readState(paths) ?? state);
      }
      if (Date.now() > deadline) throw new LabError(`the lab was not up after ${Math.round((Date.now() - started) / 1000)} s`, { hint: 'see `pizza-lab logs supervisor`; `pizza-lab down` stops what started' });
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  } catch (error) {
    // Whatever went wrong, nothing this start began may keep running.
    if (up.signal?.aborted) progress({ type: 'note', message: 'interrupted — stopping what was started' });
    await downNative(up.home).catch(() => {});
    throw error;
  }
}

function startFailure(paths: HomePaths, state: StateFile | undefined): LabError {
  const failure = state?.failure;
  if (!failure) {
    const tail = existsSync(paths.memberLog('supervisor')) ? lastLines(readTail(paths.memberLog('supervisor'), 64 * 1024), 10) : [];
    return new LabError('the lab supervisor stopped while starting', { hint: 'see `pizza-lab logs supervisor`', details: { member: 'supervisor', lastLogLines: tail } });
  }
  const isMember = state?.members.some((m) => m.name === failure.member) ?? false;
  return new LabError(isMember ? `${failure.member} failed to start: ${failure.message}` : failure.message, {
    hint: `everything already started was stopped; see \`pizza-lab logs ${isMember ? failure.member : 'supervisor'}\``,
    details: { member: failure.member, lastLogLines: failure.lastLogLines },
  });
}

async function waitForSupervisor(paths: HomePaths, ref: ProcessRef, abort?: AbortSignal): Promise<SupervisorInfo> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (abort?.aborted) throw new LabError('interrupted', { exitCode: 130 });
    const info = readSupervisor(paths);
    if (info && info.pid === ref.pid) return info;
    if (!isAlive(ref)) throw startFailure(paths, readState(paths));
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new LabError('the lab supervisor did not come up within 15 s', { hint: 'see `pizza-lab logs supervisor`' });
}

/** Processes a dead supervisor left behind (it was killed with -9): ended by pid, if still ours. */
async function killLeftovers(paths: HomePaths, progress: (event: UpProgress) => void): Promise<void> {
  const leftovers = recordedProcesses(readState(paths)).filter(isAlive);
  for (const p of leftovers) {
    progress({ type: 'note', message: `stopping ${p.member} (pid ${p.pid}) left over from an earlier run` });
    signal(p, 'SIGKILL');
    await waitForExit(p, 5000);
  }
}

/**
 * Stops the lab in this folder: asks the supervisor to stop every member, waits for it, then makes
 * sure no process it recorded is left. Safe to run when nothing runs.
 */
export async function downNative(home: string, options: { volumes?: boolean; onProgress?: (message: string) => void } = {}): Promise<{ wasRunning: boolean }> {
  const paths = homePaths(home);
  const say = options.onProgress ?? (() => {});
  const info = readSupervisor(paths);
  let wasRunning = false;
  if (info && isAlive(supervisorRef(info))) {
    wasRunning = true;
    const ref = supervisorRef(info);
    say('stopping every member');
    try {
      await fetch(`${info.controlUrl}/shutdown`, { method: 'POST', headers: { authorization: `Bearer ${info.token}` }, signal: AbortSignal.timeout(5000) });
    } catch {
      signal(ref, 'SIGTERM');
    }
    if (!(await waitForExit(ref, 90_000))) {
      say(`the supervisor (pid ${info.pid}) did not stop in time — killing it`);
      signal(ref, 'SIGKILL');
      await waitForExit(ref, 5000);
    }
  }
  const leftovers = recordedProcesses(readState(paths)).filter(isAlive);
  for (const p of leftovers) {
    wasRunning = true;
    say(`killing ${p.member} (pid ${p.pid}), which outlived its supervisor`);
    signal(p, 'SIGKILL');
    await waitForExit(p, 5000);
  }
  await rm(paths.supervisor, { force: true });
  if (options.volumes) {
    say('deleting the data');
    await removePostgresData(paths.data);
    await rm(paths.data, { recursive: true, force: true });
    const saved = readOptions(paths);
    if (saved?.postgresUrl) {
      const { postgres } = planStack(saved);
      say(`the database at ${postgres.host}:${postgres.port}/${postgres.database} (--postgres) keeps the lab's schemas: ${postgres.roles.map((r) => r.schema).join(', ')}`);
    }
    if (saved?.kafkaBootstrap) say(`the Kafka at ${saved.kafkaBootstrap} (--kafka) keeps the lab's topics and consumer groups`);
  }
  return { wasRunning };
}

/** Member names a lab has, for "unknown member" errors: the stack's members and the supervisor. */
export function logNames(plan: StackPlan, state: StateFile | undefined): string[] {
  const names = state?.members.map((m) => m.name) ?? [];
  return [...(names.length > 0 ? names : plannedMembers(plan).map((m) => m.name)), 'supervisor'];
}

/** Prints a member's log file (the last `lines`), then with `follow` keeps printing what is appended. */
export async function writeMemberLog(paths: HomePaths, member: string, out: NodeJS.WritableStream, options: LogOptions, plan?: StackPlan): Promise<void> {
  const names = logNames(plan ?? planStack(readOptions(paths) ?? defaultStackOptions()), readState(paths));
  if (!names.includes(member)) throw new LabError(`no member named "${member}"`, { hint: `members: ${names.join(', ')}` });
  const file = paths.memberLog(member);
  if (!existsSync(file)) throw new LabError(`${member} has no log yet`, { hint: 'it has not been started; `pizza-lab up` starts the lab' });
  const text = readTail(file, options.lines === undefined ? 8 * 1024 * 1024 : Math.max(64 * 1024, options.lines * 512));
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  out.write(`${(options.lines === undefined ? lines : lines.slice(-options.lines)).join('\n')}\n`);
  if (!options.follow) return;
  let position = statSync(file).size;
  await new Promise<void>((resolve) => {
    const pump = () => {
      const size = statSync(file).size;
      if (size < position) position = 0;
      if (size === position) return;
      const stream = createReadStream(file, { start: position, end: size - 1 });
      position = size;
      stream.pipe(out, { end: false });
    };
    const watcher = watch(file, pump);
    const timer = setInterval(pump, 500);
    options.signal?.addEventListener('abort', () => {
      watcher.close();
      clearInterval(timer);
      resolve();
    });
  });
}
