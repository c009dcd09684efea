import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const cliPath = fileURLToPath(new URL('../../bin/pizza-lab.js', import.meta.url));

/** The shared test lab (see global-setup.ts). */
export function lab() {
  return inject('lab');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would (no colour, not a terminal) against the lab in `home`. */
export function runCli(args: string[], options: { home?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', PIZZA_LAB_HOME: options.home ?? lab().home, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pizza-lab ${args.join(' ')} did not finish in ${options.timeoutMs ?? 60_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Pids of every process whose command line mentions `text` (a lab's folder, say). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** The base URL of the first instance of a service in the shared lab (its own port, not a link). */
export function serviceUrl(service: string): string {
  const { plan } = lab();
  const instance = plan.instances.find((i) => i.service === service);
  if (!instance) throw new Error(`the plan has no ${service} instance`);
  return `http://${plan.host}:${instance.port}`;
}

/**
 * Runs `burst` while one link of the shared lab is slowed (a latency toxic on its answers), so that
 * requests sent together arrive while the first write is in flight; and counts, at `service`'s
 * /metrics, how many writes of `write` it made and how many requests they carried (db_group_commit_size).
 */
export async function groupCommitsDuring<T>(service: string, write: string, link: string, burst: () => Promise<T>): Promise<{ result: T; writes: number; requests: number }> {
  const { plan } = lab();
  const counts = async () => {
    const text = await (await fetch(`${serviceUrl(service)}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*write="${write}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    return { writes: value('db_group_commit_size_count'), requests: value('db_group_commit_size_sum') };
  };
  const toxics = `${plan.endpoints.faultApi}/proxies/${link}/toxics`;
  const before = await counts();
  await fetch(toxics, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'slow-burst', type: 'latency', stream: 'downstream', attributes: { latency: 150 } }) });
  let result: T;
  try {
    result = await burst();
  } finally {
    await fetch(`${toxics}/slow-burst`, { method: 'DELETE' });
  }
  const after = await counts();
  return { result, writes: after.writes - before.writes, requests: after.requests - before.requests };
}
