/**
 * The compose runtime as the CLI sees it: `up` and `down` through `docker compose`, everything
 * else through the Engine API with dockerode — containers found by their compose labels,
 * faults as container actions (stop, start, restart, kill, pause, unpause), logs demultiplexed
 * from the engine's stream. Later commands find the lab through `.pizza-lab/compose.json`.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { LabError, StackNotRunningError, TimeoutError } from '../../lib/errors.js';
import { homePaths, readOptions } from '../native/home.js';
import { signalName, type MemberAction, type MemberStatus } from '../native/member.js';
import type { UpProgress } from '../native/native-stack.js';
import { checkPorts, requireChecks } from '../native/prerequisites.js';
import type { LogOptions, Stack, StackStatus } from '../stack.js';
import { plannedMembers, planStack, portsOf, type PlannedMember, type StackOptions, type StackPlan } from '../stack-spec.js';
import { COMPOSE_PROJECT, writeComposeFiles } from './compose-file.js';
import { composePaths, forgetComposeLab, readComposeRecord, recordComposeLab, type ComposeRecord } from './compose-home.js';
import { LABELS, memberNameOf, memberStatusOf } from './compose-members.js';
import { connectEngine, contextSocket, engineError, requireComposeV2, runCompose } from './docker-engine.js';

export interface ComposeStackOptions {
  /** The engine to talk to (tests point it at a socket of their own). */
  docker?: Docker;
  /** The docker CLI that runs `docker compose` (`docker` on PATH). */
  dockerCommand?: string;
  /** How long `start` and `restart` wait for a member to be healthy again. */
  readyTimeoutMs?: number;
}

interface Found {
  name: string;
  id: string;
}

const POLL_MS = 250;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The compose lab recorded in this folder, or undefined. */
export function findComposeStack(home: string, options: ComposeStackOptions = {}): ComposeStack | undefined {
  const record = readComposeRecord(home);
  const stackOptions = readOptions(homePaths(home));
  if (!record || !stackOptions) return undefined;
  return new ComposeStack(home, record, planStack(stackOptions), options);
}

export class ComposeStack implements Stack {
  readonly runtime = 'compose' as const;
  private readonly docker: Docker;
  private readonly members: PlannedMember[];
  private readonly memberNames: ReadonlySet<string>;

  constructor(
    readonly home: string,
    readonly record: ComposeRecord,
    readonly plan: StackPlan,
    private readonly options: ComposeStackOptions = {},
  ) {
    this.docker = options.docker ?? connectEngine(record.socketPath);
    this.members = plannedMembers(plan);
    this.memberNames = new Set(this.members.map((m) => m.name));
  }

  /** Every container of this lab's project by member name (one-off `compose run` containers left out). */
  private async containers(): Promise<Map<string, Found>> {
    const list = await projectContainers(this.docker, this.record.project);
    const found = new Map<string, Found>();
    for (const c of list) {
      if (c.Labels[LABELS.oneoff] === 'True') continue;
      const name = memberNameOf(c.Labels, this.memberNames);
      // Should an old container linger next to its replacement, the running one is the member.
      if (!found.has(name) || c.State === 'running') found.set(name, { name, id: c.Id });
    }
    return found;
  }

  private async inspect(id: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (error) {
      // Removed between listing and looking: it is simply not there.
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw engineError(error, 'inspect a container');
    }
  }

  async status(): Promise<StackStatus> {
    const found = await this.containers();
    if (found.size === 0) throw new StackNotRunningError(`the compose lab has no containers (project ${this.record.project})`, { hint: 'start it with `pizza-lab up`; `pizza-lab down` cleans up' });
    const members = await Promise.all(this.members.map(async (m) => {
      const container = found.get(m.name);
      return memberStatusOf(m, container ? await this.inspect(container.id) : undefined);
    }));
    return { runtime: 'compose', members };
  }

  private planned(member: string): PlannedMember {
    const planned = this.members.find((m) => m.name === member);
    if (!planned) throw new LabError(`no member named "${member}"`, { hint: `members: ${[...this.memberNames].join(', ')}`, details: { status: 404 } });
    return planned;
  }

  private async containerOf(member: string): Promise<Found> {
    const container = (await this.containers()).get(member);
    if (!container) throw new LabError(`${member} has no container`, { hint: '`pizza-lab up` creates it', details: { status: 409 } });
    return container;
  }

  private async current(planned: PlannedMember, id: string): Promise<MemberStatus> {
    return memberStatusOf(planned, await this.inspect(id));
  }

  /** Waits until the member runs and its health check (if it has one) passes. */
  private async ready(planned: PlannedMember, id: string): Promise<MemberStatus> {
    const timeoutMs = this.options.readyTimeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.current(planned, id);
      if (status.state === 'running' && status.healthy) return status;
      if (status.state === 'exited' || status.state === 'stopped' || status.state === 'failed') {
        throw new LabError(`${planned.name} stopped while starting: ${status.message ?? status.state}`, { hint: `see \`pizza-lab logs ${planned.name}\`` });
      }
      if (Date.now() > deadline) throw new TimeoutError(`${planned.name} was not healthy after ${Math.round(timeoutMs / 1000)} s (${status.state}${status.message ? `, ${status.message}` : ''})`, { hint: `see \`pizza-lab logs ${planned.name}\`` });
      await sleep(POLL_MS);
    }
  }

  /** Until the member's process has ended, for at most `ms` (a process may ignore a signal). */
  private async exited(planned: PlannedMember, id: string, ms: number): Promise<MemberStatus> {
    const deadline = Date.now() + ms;
    let status = await this.current(planned, id);
    while (status.pid !== null && Date.now() < deadline) {
      await sleep(POLL_MS);
      status = await this.current(planned, id);
    }
    return status;
  }

  /** Same meaning as under the native runtime: `start` of a paused member resumes it; `kill` sends any signal (SIGKILL by default). */
  async control(member: string, action: MemberAction, options: { signal?: string } = {}): Promise<MemberStatus> {
    const planned = this.planned(member);
    const { id } = await this.containerOf(member);
    const container = this.docker.getContainer(id);
    const before = await this.current(planned, id);
    const live = before.pid !== null;
    const notRunning = () => new LabError(`${member} is not running (${before.state})`, { details: { status: 409 } });
    const engine = async (what: string, call: () => Promise<unknown>) => {
      try {
        await call();
      } catch (error) {
        throw engineError(error, `${what} ${member}`);
      }
    };
    const unpauseFirst = () => (before.state === 'paused' ? engine('unpause', () => container.unpause()) : Promise.resolve());

    switch (action) {
      case 'start':
        if (before.state === 'paused') return this.control(member, 'resume');
        if (!live) await engine('start', () => container.start());
        return this.ready(planned, id);
      case 'restart':
        await unpauseFirst();
        await engine('restart', () => container.restart());
        return this.ready(planned, id);
      case 'stop':
        // A paused process cannot act on the stop signal until it runs again.
        await unpauseFirst();
        if (live) await engine('stop', () => container.stop());
        return this.current(planned, id);
      case 'kill': {
        if (!live) throw notRunning();
        const signal = normalizeSignal(options.signal, member);
        await unpauseFirst();
        await engine(`send ${signal} to`, () => container.kill({ signal }));
        return this.exited(planned, id, 5000);
      }
      case 'pause':
        if (!live) throw notRunning();
        if (before.state !== 'paused') await engine('pause', () => container.pause());
        return this.current(planned, id);
      case 'resume':
        if (!live) throw notRunning();
        if (before.state === 'paused') await engine('unpause', () => container.unpause());
        return this.current(planned, id);
      default:
        throw new LabError(`unknown action "${String(action)}"`, { details: { status: 400 } });
    }
  }

  async logs(member: string, out: NodeJS.WritableStream, options: LogOptions = {}): Promise<void> {
    const found = await this.containers();
    const container = found.get(member);
    if (!container) {
      if (this.memberNames.has(member)) throw new LabError(`${member} has no container, so no log`, { hint: '`pizza-lab up` creates it' });
      const names = [...new Set([...this.memberNames, ...found.keys()])];
      throw new LabError(`no member named "${member}"`, { hint: `members: ${names.join(', ')}` });
    }
    const handle = this.docker.getContainer(container.id);
    const tty = (await this.inspect(container.id))?.Config.Tty ?? false;
    const base = { stdout: true, stderr: true, ...(options.lines === undefined ? {} : { tail: options.lines }) };
    // Without a terminal the engine interleaves stdout and stderr in 8-byte-headed frames.
    const copy = (stream: NodeJS.ReadableStream) => (tty ? stream.pipe(out, { end: false }) : this.docker.modem.demuxStream(stream, out, out));

    if (!options.follow) {
      let text: Buffer;
      try {
        const body: unknown = await handle.logs({ ...base, follow: false });
        // The client parses a body that happens to be valid JSON (a one-line terminal log).
        text = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : `${JSON.stringify(body)}\n`);
      } catch (error) {
        throw engineError(error, `read the log of ${member}`);
      }
      await drain(Readable.from([text]), copy);
      return;
    }
    if (options.signal?.aborted) return;
    let stream: NodeJS.ReadableStream;
    try {
      stream = await handle.logs({ ...base, follow: true, abortSignal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) return;
      throw engineError(error, `follow the log of ${member}`);
    }
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        (stream as Readable).destroy?.();
        resolve();
      };
      options.signal?.addEventListener('abort', stop, { once: true });
      stream.once('end', stop);
      stream.once('close', stop);
      stream.once('error', (error) => (options.signal?.aborted ? resolve() : reject(engineError(error, `follow the log of ${member}`))));
      copy(stream);
    });
  }

  async down(options: { volumes?: boolean; onProgress?: (message: string) => void } = {}): Promise<void> {
    await downCompose(this.home, { ...options, docker: this.docker, dockerCommand: this.options.dockerCommand });
  }
}

/** Every container of a compose project, one-off ones included; an engine failure as a one-line error. */
async function projectContainers(docker: Docker, project: string): Promise<Docker.ContainerInfo[]> {
  try {
    return await docker.listContainers({ all: true, filters: { label: [`${LABELS.project}=${project}`] } });
  } catch (error) {
    throw engineError(error, 'list the containers');
  }
}

/** The signal's name as natively (`signalName`); an unknown one is a one-line error. */
function normalizeSignal(signal: string | undefined, member: string): string {
  const name = signalName(signal);
  if (!/^SIG[A-Z0-9]+$/.test(name) || !(name in constants.signals)) throw new LabError(`cannot send ${signal} to ${member}: unknown signal`, { details: { status: 400 } });
  return name;
}

function drain(stream: Readable, copy: (stream: NodeJS.ReadableStream) => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('end', resolve);
    stream.once('error', reject);
    copy(stream);
  });
}

export interface ComposeUpOptions extends ComposeStackOptions {
  home: string;
  onProgress?: (event: UpProgress) => void;
  /** Aborting (Ctrl-C) stops compose and takes down what it started. */
  signal?: AbortSignal;
  /** How long the whole start may take (the first one builds the image and pulls the others). */
  timeoutMs?: number;
  /** The compose project; `pizza-lab` unless a test wants a project of its own. */
  project?: string;
  /** The engine's socket; asked from the docker CLI's context when absent. */
  socketPath?: string;
}

/** Ports the compose file publishes for the plan, checked before a first start for one-line errors. */
function publicPorts(plan: StackPlan) {
  return portsOf(plan).filter((p) => p.flag !== '--port-base');
}

/**
 * Starts the compose lab: writes the compose files for the plan into `<home>/compose/`, records
 * the lab, runs `docker compose up -d --wait --build` and resolves when every member is healthy.
 */
export async function upCompose(options: StackOptions, up: ComposeUpOptions): Promise<ComposeStack> {
  const progress = up.onProgress ?? (() => {});
  const project = up.project ?? COMPOSE_PROJECT;
  const plan = planStack(options);
  await requireComposeV2(up.dockerCommand);
  const socketPath = up.socketPath ?? (up.docker ? undefined : await contextSocket(up.dockerCommand));
  const docker = up.docker ?? connectEngine(socketPath);

  const paths = composePaths(up.home);
  await mkdir(paths.dir, { recursive: true });
  const composeFile = await writeComposeFiles(plan, paths.dir);

  const existing = await projectContainers(docker, project);
  // One project name per engine: a lab started from another folder would be taken over.
  const foreign = existing.find((c) => !(c.Labels[LABELS.configFiles] ?? '').split(',').includes(composeFile));
  if (foreign) {
    throw new LabError(`a compose lab from another folder is running (${foreign.Labels[LABELS.workingDir] ?? `project ${project}`})`, { hint: 'run `pizza-lab down` in that folder first, or use --runtime native' });
  }
  if (!existing.some((c) => c.State === 'running')) requireChecks(await checkPorts(publicPorts(plan)));

  const record = await recordComposeLab(up.home, { options, project, composeFile, socketPath });
  const stack = new ComposeStack(up.home, record, plan, { docker, dockerCommand: up.dockerCommand, readyTimeoutMs: up.readyTimeoutMs });
  const started = Date.now();
  try {
    const result = await runCompose(['-p', project, '-f', composeFile, 'up', '-d', '--wait', '--build', '--remove-orphans'], {
      dockerCommand: up.dockerCommand,
      onLine: (message) => progress({ type: 'note', message }),
      signal: up.signal,
      timeoutMs: up.timeoutMs ?? 20 * 60_000,
    });
    if (result.interrupted) throw new LabError('interrupted', { exitCode: 130 });
    if (result.timedOut) throw new LabError(`the lab was not up after ${Math.round((Date.now() - started) / 1000)} s`, { hint: 'see the compose output above; `pizza-lab down` stops what started' });
    const status = await stack.status().catch(() => undefined);
    const failed = status?.members.find((m) => m.state !== 'running' || !m.healthy);
    if (result.code !== 0 || failed) throw await startFailure(stack, failed, result.code, result.lines);
    for (const member of status!.members) progress({ type: 'member', member, elapsedMs: Date.now() - started });
    return stack;
  } catch (error) {
    // Whatever went wrong, nothing this start began may keep running.
    if (up.signal?.aborted) progress({ type: 'note', message: 'interrupted — stopping what was started' });
    await downCompose(up.home, { docker, dockerCommand: up.dockerCommand }).catch(() => {});
    throw error;
  }
}

async function startFailure(stack: ComposeStack, failed: MemberStatus | undefined, code: number | null, lines: string[]): Promise<LabError> {
  if (!failed) {
    return new LabError(`docker compose up failed (exit code ${code}): ${lines.at(-1) ?? 'no output'}`, { hint: 'everything already started was stopped', details: { lastLogLines: lines.slice(-10) } });
  }
  const log = new Collector();
  await stack.logs(failed.name, log, { lines: 20 }).catch(() => {});
  return new LabError(`${failed.name} failed to start: ${failed.message ?? (failed.state === 'running' ? 'unhealthy' : failed.state)}`, {
    hint: 'everything already started was stopped',
    details: { member: failed.name, lastLogLines: log.lines() },
  });
}

/** Keeps what is written to it, for error reports. */
class Collector extends Writable {
  private text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
  lines(): string[] {
    return this.text.split('\n').filter((l) => l.trim().length > 0);
  }
}

/**
 * Takes the compose lab of this folder down (`docker compose down`, `-v` with `volumes`) and
 * forgets it. Safe to run when none was started here.
 */
export async function downCompose(home: string, options: { volumes?: boolean; onProgress?: (message: string) => void; docker?: Docker; dockerCommand?: string } = {}): Promise<{ wasRunning: boolean }> {
  const record = readComposeRecord(home);
  if (!record) return { wasRunning: false };
  const say = options.onProgress ?? (() => {});
  const docker = options.docker ?? connectEngine(record.socketPath);
  let containers: Docker.ContainerInfo[];
  try {
    containers = await projectContainers(docker, record.project);
  } catch (failure) {
    if (!(failure instanceof StackNotRunningError)) throw failure;
    // Without an engine nothing of the lab runs; forgetting it keeps `up` and `down` usable.
    say(`the Docker engine does not answer — forgetting the compose lab (project ${record.project}); start Docker and run \`docker compose -p ${record.project} down\` to remove its containers`);
    await forgetComposeLab(home);
    return { wasRunning: false };
  }
  await requireComposeV2(options.dockerCommand);
  say(options.volumes ? 'removing every container and the data volumes' : 'removing every container');
  const file = existsSync(record.composeFile) ? ['-f', record.composeFile] : [];
  const result = await runCompose(['-p', record.project, ...file, 'down', '--remove-orphans', ...(options.volumes ? ['-v'] : [])], { dockerCommand: options.dockerCommand, onLine: say, timeoutMs: 5 * 60_000 });
  if (result.code !== 0) {
    throw new LabError(`docker compose down failed (exit code ${result.code}): ${result.lines.at(-1) ?? 'no output'}`, { hint: 'is Docker running? then run `pizza-lab down` again' });
  }
  await forgetComposeLab(home);
  return { wasRunning: containers.length > 0 };
}
