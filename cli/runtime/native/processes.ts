/**
 * Process identity on Linux: a pid plus the kernel's start time of that pid, so that the lab only
 * ever signals processes it started itself, even after a pid has been reused.
 */
import { readFileSync } from 'node:fs';

export interface ProcessRef {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); undefined where /proc is absent. */
  startTime?: string;
}

/**
 * The fields of /proc/<pid>/stat after the command name — state(0), ppid(1) … — or undefined
 * when the process is gone or there is no /proc. (The command name may hold spaces and
 * parentheses; the fields after it are plain.)
 */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

export function refOf(pid: number): ProcessRef {
  return { pid, startTime: processStartTime(pid) };
}

/** True when the process exists, is the one we started, and is not a zombie. */
export function isAlive(ref: ProcessRef): boolean {
  try {
    process.kill(ref.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const rest = statFields(ref.pid);
  // No /proc: trust kill(0).
  if (rest === undefined) return true;
  if (rest[0] === 'Z') return false;
  return ref.startTime === undefined || rest[19] === ref.startTime;
}

/** Sends a signal to a process we started; false when it is gone (or was never ours). */
export function signal(ref: ProcessRef, sig: NodeJS.Signals | number): boolean {
  if (!isAlive(ref)) return false;
  try {
    process.kill(ref.pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Checks every `intervalMs` until `done()` holds or the time is up; whether it held. */
async function pollUntil(done: () => boolean, timeoutMs: number, intervalMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return true;
}

/** Waits until the process is gone; true if it went within the time. */
export function waitForExit(ref: ProcessRef, timeoutMs: number): Promise<boolean> {
  return pollUntil(() => !isAlive(ref), timeoutMs, 50);
}

/**
 * Waits until every process of a tree is stopped (state T). A SIGSTOP takes effect only when the
 * kernel next runs the process, which on a busy machine can be a while after the signal was sent.
 */
export function waitUntilStopped(pid: number, timeoutMs: number): Promise<boolean> {
  // A process that ended meanwhile has nothing left to stop.
  return pollUntil(() => processTree(pid).every((p) => (statFields(p)?.[0] ?? 'T') === 'T'), timeoutMs, 10);
}

/** The direct child processes of a process (PostgreSQL's backends are its postmaster's children). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process and everything below it, parents first. */
export function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childrenOf(all[i]!));
  return all;
}
