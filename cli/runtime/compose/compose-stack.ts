/**
 * The compose runtime as the CLI sees it: `up` and `down` through `docker compose`, everything
 * else through the Engine API with dockerode — containers found by their compose labels,
 * faults as container actions (stop, start, restart, kill, pause, unpause), logs demultiplexed
 * from the engine's stream. Later commands find the lab through `.pizza-lab/compose.json`.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:os';
import { Readable, Writable } from 'node:stream';
import type Docker from 'dockerode';
import { LabError, messageOf, StackNotRunningError, TimeoutError } from '../../lib/errors.js';
import { projectRoot } from '../../lib/paths.js';
import { bootstrapDatabase, ensureTopics, signalName, type MemberAction, type MemberStatus } from '../common/index.js';
import { homePaths, readOptions } from '../native/home.js';
import type { UpProgress } from '../native/native-stack.js';
import { checkPorts, requireChecks } from '../native/prerequisites.js';
import type { LogOptions, Stack, StackStatus } from '../stack.js';
import { plannedMembers, planStack, type PlannedMember, type StackOptions, type StackPlan } from '../stack-spec.js';
import { buildBaseImages, checkPortClashes, COMPOSE_PROJECT, composeImages, composePhases, MONITORING_PROFILE, publishedPorts, writeComposeFiles } from './compose-file.js';
import { composePaths, forgetComposeLab, readComposeRecord, recordComposeLab, type ComposeRecord } from './compose-home.js';
import { LABELS, memberNameOf, memberOfService, memberStatusOf } from './compose-members.js';
import { connectEngine, contextSocket, engineError, requireComposeV2, runCompose, type ComposeRun } from './docker-engine.js';

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

  async tools(): Promise<string[]> {
    const list = await projectContainers(this.docker, this.record.project);
    return list.filter((c) => c.Labels[LABELS.kind] === 'tool' && c.State === 'running').map((c) => c.Labels[LABELS.service]!);
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
  /** What `up` does between the infrastructure and the services (tests replace it): the roles and schemas, the topics. */
  setup?: (plan: StackPlan) => Promise<void>;
}

/** The setup every `up` does, as natively: each service's role and schema, and the saga's topics, created and led. */
async function labSetup(plan: StackPlan): Promise<void> {
  await bootstrapDatabase(plan);
  await ensureTopics(plan);
}

/**
 * Starts the compose lab, in the phases the native supervisor has too: PostgreSQL, Kafka and
 * Toxiproxy; then, from here, the services' roles and schemas and the saga's topics (the same
 * code as natively); then the services and the gateway (building their image). It resolves when
 * they are healthy. The monitoring tools start after, and the lab does not wait for them: a tool
 * that cannot start is a warning, not a failed `up`.
 */
export async function upCompose(options: StackOptions, up: ComposeUpOptions): Promise<ComposeStack> {
  const progress = up.onProgress ?? (() => {});
  const project = up.project ?? COMPOSE_PROJECT;
  const plan = planStack(options);
  checkPortClashes(plan);
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
  if (!existing.some((c) => c.State === 'running')) requireChecks(await checkPorts(publishedPorts(plan)));

  const phases = composePhases(plan);
  const compose = (args: string[], timeoutMs: number) =>
    runCompose(['-p', project, '-f', composeFile, ...args], { dockerCommand: up.dockerCommand, onLine: (message) => progress({ type: 'note', message }), signal: up.signal, timeoutMs });
  const lab = composeImages(plan).filter((i) => !i.built && (phases.infrastructure.includes(i.service) || phases.services.includes(i.service)));
  await pullMissing(docker, [...lab, ...buildBaseImages().map((image) => ({ image }))], compose, { required: true });

  const record = await recordComposeLab(up.home, { options, project, composeFile, socketPath });
  const stack = new ComposeStack(up.home, record, plan, { docker, dockerCommand: up.dockerCommand, readyTimeoutMs: up.readyTimeoutMs });
  const started = Date.now();
  const deadline = started + (up.timeoutMs ?? 20 * 60_000);
  const startPhase = async (services: string[], args: string[] = []) => {
    const result = await compose(['up', '-d', '--wait', ...args, ...services], Math.max(1000, deadline - Date.now()));
    if (result.interrupted) throw new LabError('interrupted', { exitCode: 130 });
    if (result.timedOut) throw new LabError(`the lab was not up after ${Math.round((Date.now() - started) / 1000)} s`, { hint: 'see the compose output above; `pizza-lab down` stops what started' });
    const status = await stack.status().catch(() => undefined);
    const names = services.map(memberOfService);
    const members = status?.members.filter((m) => names.includes(m.name)) ?? [];
    const failed = firstFailed(members);
    if (result.code !== 0 || failed) throw await startFailure(stack, failed, result.code, result.lines);
    for (const member of members) progress({ type: 'member', member, elapsedMs: Date.now() - started });
  };
  try {
    await startPhase(phases.infrastructure);
    progress({ type: 'note', message: 'creating the services\' roles and schemas, and the saga\'s topics' });
    await (up.setup ?? labSetup)(plan);
    await trustHostCertificates(progress);
    await startPhase(phases.services, ['--build']);
  } catch (error) {
    // Whatever went wrong, nothing this start began may keep running.
    if (up.signal?.aborted) progress({ type: 'note', message: 'interrupted — stopping what was started' });
    await downCompose(up.home, { docker, dockerCommand: up.dockerCommand }).catch(() => {});
    throw error;
  }
  await startTools(plan, docker, compose, progress);
  return stack;
}

/** The member to blame for a failed start: one that died first, then one failing its health check, then one still starting. */
function firstFailed(members: readonly MemberStatus[]): MemberStatus | undefined {
  const rank = (m: MemberStatus) => (m.state === 'running' && m.healthy ? 3 : m.state === 'exited' || m.state === 'failed' || m.state === 'stopped' ? 0 : m.message ? 1 : 2);
  const ranked = members.filter((m) => rank(m) < 3).sort((a, b) => rank(a) - rank(b));
  return ranked[0];
}

type RunComposeIn = (args: string[], timeoutMs: number) => Promise<ComposeRun>;

/**
 * Pulls the images of `images` that the engine does not have: a compose service's through
 * compose, the service image's base through the Engine API. For the lab's own members a missing
 * image is a one-line error naming it; for a tool it is returned (its service), and left out.
 */
async function pullMissing(docker: Docker, images: readonly { service?: string; image: string }[], compose: RunComposeIn, options: { required: boolean }): Promise<string[]> {
  const missing = await missingImages(docker, images);
  if (missing.length === 0) return [];
  const said: string[] = [];
  const services = missing.flatMap((m) => (m.service ? [m.service] : []));
  if (services.length > 0) {
    const result = await compose(['pull', '--ignore-pull-failures', ...services], 15 * 60_000);
    if (result.interrupted) throw new LabError('interrupted', { exitCode: 130 });
    said.push(...result.lines.filter((l) => /error|denied|not found|no such host/i.test(l)).map((l) => l.trim()));
  }
  for (const { image } of missing.filter((m) => !m.service)) {
    const failure = await pullImage(docker, image);
    if (failure) said.push(failure);
  }
  const still = await missingImages(docker, missing);
  if (still.length > 0 && options.required) {
    const names = still.map((m) => m.image).join(', ');
    const why = said.at(-1);
    throw new LabError(`image${still.length === 1 ? '' : 's'} ${names} ${still.length === 1 ? 'is' : 'are'} not on this Docker engine and could not be pulled${why ? ` (${why})` : ''}`, {
      hint: 'pull it where a registry answers (or `docker load` it), or use --runtime native',
    });
  }
  return still.flatMap((m) => (m.service ? [m.service] : []));
}

/** Pulls one image through the Engine API; resolves with the engine's message when it could not. */
async function pullImage(docker: Docker, image: string): Promise<string | undefined> {
  try {
    const stream = await docker.pull(image);
    return await new Promise((resolve) => docker.modem.followProgress(stream, (error: Error | null) => resolve(error ? messageOf(error) : undefined)));
  } catch (error) {
    return engineError(error, `pull ${image}`).message;
  }
}

/** The images of `images` that the engine does not have. */
async function missingImages<T extends { image: string }>(docker: Docker, images: readonly T[]): Promise<T[]> {
  const present = await Promise.all(
    images.map(async (i) => {
      try {
        await docker.getImage(i.image).inspect();
        return true;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return false;
        throw engineError(error, `look for the image ${i.image}`);
      }
    }),
  );
  return images.filter((_, n) => !present[n]);
}

/** Starts the chosen monitoring tools without waiting for them; what cannot start is said, and skipped. */
async function startTools(plan: StackPlan, docker: Docker, compose: RunComposeIn, progress: (event: UpProgress) => void): Promise<void> {
  const chosen = plan.options.monitoring.map((tool) => composePhases(plan).tools[tool]);
  if (chosen.length === 0) return;
  const images = composeImages(plan).filter((i) => chosen.includes(i.service));
  const unavailable = await pullMissing(docker, images, compose, { required: false });
  for (const service of unavailable) progress({ type: 'warning', message: `monitoring: ${service} left out — its image ${images.find((i) => i.service === service)!.image} is not on this engine and could not be pulled` });
  const starting = chosen.filter((s) => !unavailable.includes(s));
  if (starting.length === 0) return;
  const result = await compose(['--profile', MONITORING_PROFILE, 'up', '-d', '--no-deps', ...starting], 5 * 60_000);
  if (result.code !== 0) progress({ type: 'warning', message: `monitoring: not every tool started (${result.lines.at(-1) ?? `exit code ${result.code}`}) — the lab runs without it; \`pizza-lab status\` shows the lab` });
  else progress({ type: 'note', message: `monitoring: ${starting.join(', ')} starting (the lab does not wait for them)` });
}

/**
 * The service image's build fetches npm packages. Behind a TLS-intercepting proxy it must trust
 * the proxy's CA, as Node on this machine does: the certificates NODE_EXTRA_CA_CERTS names are
 * copied into compose/ca-certificates/, which the Dockerfile trusts while building (only then).
 */
async function trustHostCertificates(progress: (event: UpProgress) => void): Promise<void> {
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  if (!extra || !existsSync(extra)) return;
  const target = join(projectRoot, 'compose', 'ca-certificates', 'node-extra-ca-certs.crt');
  try {
    const wanted = await readFile(extra);
    const current = await readFile(target).catch(() => undefined);
    if (!current?.equals(wanted)) await writeFile(target, wanted);
  } catch (error) {
    progress({ type: 'warning', message: `could not copy NODE_EXTRA_CA_CERTS into ${target} (${messageOf(error)}): the image build will not trust those certificates` });
  }
}

async function startFailure(stack: ComposeStack, failed: MemberStatus | undefined, code: number | null, lines: string[]): Promise<LabError> {
  const engineSaid = lines.filter((l) => /^Error response from daemon|^Error /.test(l.trim())).at(-1)?.trim();
  if (!failed) {
    return new LabError(`docker compose up failed (exit code ${code}): ${engineSaid ?? lines.at(-1) ?? 'no output'}`, { hint: 'everything already started was stopped', details: { lastLogLines: lines.slice(-10) } });
  }
  const log = new Collector();
  await stack.logs(failed.name, log, { lines: 20 }).catch(() => {});
  const why = failed.message ?? (failed.state === 'running' ? 'unhealthy' : failed.state);
  return new LabError(`${failed.name} failed to start: ${why}`, {
    hint: `see \`pizza-lab logs ${failed.name}\` (everything already started was stopped)`,
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
  // Volumes an image declares (apache/kafka has three) are made anew, unnamed, for each container:
  // `compose down` keeps them unless told -v, so they are removed here, the lab's data volumes kept.
  const anonymous = await anonymousVolumes(docker, containers);
  say(options.volumes ? 'removing every container and the data volumes' : 'removing every container');
  const file = existsSync(record.composeFile) ? ['-f', record.composeFile] : [];
  // The monitoring profile named, or compose would leave its tools running.
  const args = ['-p', record.project, ...file, '--profile', MONITORING_PROFILE, 'down', '--remove-orphans', ...(options.volumes ? ['-v'] : [])];
  const result = await runCompose(args, { dockerCommand: options.dockerCommand, onLine: say, timeoutMs: 5 * 60_000 });
  const left = result.code === 0 ? await projectContainers(docker, record.project) : [];
  if (result.code !== 0 || left.length > 0) {
    const why = left.length > 0 ? `${left.length} container${left.length === 1 ? '' : 's'} left (${left.map((c) => c.Names[0]?.replace(/^\//, '')).join(', ')})` : `exit code ${result.code}: ${result.lines.at(-1) ?? 'no output'}`;
    throw new LabError(`docker compose down did not take the lab down — ${why}`, { hint: 'is Docker running? then run `pizza-lab down` again' });
  }
  for (const name of anonymous) await docker.getVolume(name).remove().catch(() => {});
  await forgetComposeLab(home);
  return { wasRunning: containers.length > 0 };
}

/** The unnamed volumes mounted in the lab's containers (a named volume carries compose's label). */
async function anonymousVolumes(docker: Docker, containers: readonly Docker.ContainerInfo[]): Promise<string[]> {
  const mounted = containers.flatMap((c) => c.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Name).map((m) => m.Name!);
  const anonymous: string[] = [];
  for (const name of new Set(mounted)) {
    const volume = await docker.getVolume(name).inspect().catch(() => undefined);
    if (volume && !volume.Labels?.[LABELS.volume]) anonymous.push(name);
  }
  return anonymous;
}
