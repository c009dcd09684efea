/**
 * The Docker side of the compose runtime: a dockerode client on the engine the docker CLI uses,
 * `docker compose` run with its output streamed line by line, and engine failures turned into
 * the lab's one-line errors.
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { LabError, StackNotRunningError, messageOf } from '../../lib/errors.js';

const run = promisify(execFile);

/** A dockerode client: DOCKER_HOST when set (dockerode reads it, TLS included), else the socket `up` found. */
export function connectEngine(socketPath?: string): Docker {
  if (socketPath && !process.env.DOCKER_HOST) return new Docker({ socketPath });
  return new Docker();
}

/**
 * The socket of the docker CLI's current context. Docker Desktop and rootless Docker listen
 * elsewhere than /var/run/docker.sock, and only the CLI's context knows where.
 */
export async function contextSocket(dockerCommand = 'docker'): Promise<string | undefined> {
  if (process.env.DOCKER_HOST) return undefined;
  try {
    const { stdout } = await run(dockerCommand, ['context', 'inspect', '--format', '{{.Endpoints.docker.Host}}'], { timeout: 10_000 });
    const host = stdout.trim();
    return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  } catch {
    return undefined;
  }
}

const COMPOSE_FIX = 'install Docker Compose v2 (Docker\'s docker-compose-plugin package, or build it from its Go module: docs/compose.md#compose-v2), or use --runtime native';

/** Whether the docker CLI runs Compose v2: its version, or what is wrong. */
export async function composeV2(dockerCommand = 'docker'): Promise<{ ok: boolean; detail: string; fix?: string }> {
  try {
    const { stdout } = await run(dockerCommand, ['compose', 'version', '--short'], { timeout: 20_000 });
    const version = stdout.trim();
    // Compose v1 (docker-compose 1.x) is not a docker CLI plugin and does not answer here.
    return { ok: true, detail: version.startsWith('v') ? version : `v${version}` };
  } catch {
    return { ok: false, detail: 'Docker Compose v2 is missing (`docker compose` does not answer)', fix: COMPOSE_FIX };
  }
}

/** Resolves with Compose's version; a one-line error when the docker CLI has no Compose v2. */
export async function requireComposeV2(dockerCommand = 'docker'): Promise<string> {
  const compose = await composeV2(dockerCommand);
  if (!compose.ok) throw new LabError('Docker Compose v2 is missing', { hint: COMPOSE_FIX });
  return compose.detail;
}

interface EngineFailure {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | string | null;
}

/** Any failure talking to the engine as one line: the engine is gone, or it refused `what`. */
export function engineError(error: unknown, what: string): LabError {
  if (error instanceof LabError) return error;
  const failure = error as EngineFailure;
  if (failure.code === 'EACCES') {
    return new LabError('no permission to use the Docker engine', { cause: error, hint: 'add your user to the docker group (then log in again), or use --runtime native' });
  }
  if (failure.statusCode === undefined) {
    return new StackNotRunningError('the Docker engine does not answer', { cause: error, retriable: true, hint: 'start Docker; `pizza-lab down` cleans up, `pizza-lab up` starts again' });
  }
  const said = typeof failure.json === 'object' && failure.json?.message ? failure.json.message : typeof failure.json === 'string' ? failure.json : failure.reason ?? messageOf(error);
  const firstLine = said.split('\n')[0]!.trim();
  return new LabError(`the Docker engine could not ${what}: ${firstLine}`, { cause: error, details: { status: failure.statusCode } });
}

export interface ComposeRun {
  code: number | null;
  /** Every line compose printed (stdout and stderr), for error reports. */
  lines: string[];
  interrupted: boolean;
  timedOut: boolean;
}

export interface ComposeRunOptions {
  dockerCommand?: string;
  onLine?: (line: string) => void;
  /** Aborting stops compose (SIGTERM to its process group, then SIGKILL after 10 s). */
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Runs `docker compose <args>`, streaming its output line by line. */
export function runCompose(args: readonly string[], options: ComposeRunOptions = {}): Promise<ComposeRun> {
  return new Promise((resolve, reject) => {
    // Its own process group: the docker CLI runs Compose as a child process, and stopping
    // compose must stop both.
    const child = spawn(options.dockerCommand ?? 'docker', ['compose', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const lines: string[] = [];
    let interrupted = false;
    let timedOut = false;
    const onLine = (line: string) => {
      // Compose draws progress with carriage returns even when not on a terminal.
      const text = line.replace(/\r/g, '').trimEnd();
      if (text.trim().length === 0) return;
      lines.push(text);
      options.onLine?.(text.trim());
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);

    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), 10_000);
    };
    const onAbort = () => {
      interrupted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const timer = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs)
      : undefined;

    child.once('error', (error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      reject((error as { code?: string }).code === 'ENOENT' ? new LabError('no `docker` command on PATH', { hint: 'install Docker, or use --runtime native' }) : error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ code, lines, interrupted, timedOut });
    });
  });
}
