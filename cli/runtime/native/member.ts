import type { WaitStrategy } from '../../lib/wait.js';

export type MemberKind = 'kafka' | 'postgres' | 'fault-proxy' | 'service' | 'gateway';

/** How the supervisor runs one member of the stack: a process, how to know it is ready, how to stop it. */
export interface MemberDef {
  name: string;
  kind: MemberKind;
  /** What a user connects to, e.g. 127.0.0.1:9092. */
  address: string;
  /** Members of a lower phase are ready before the next phase starts. */
  phase: number;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** One-off work before the first start (initdb, storage format). */
  prepare?: () => Promise<void>;
  ready: WaitStrategy;
  /** Checked every few seconds while running. */
  health: WaitStrategy;
  stopSignal: NodeJS.Signals;
  stopTimeoutMs: number;
}

export type MemberState = 'pending' | 'starting' | 'running' | 'paused' | 'stopping' | 'stopped' | 'exited' | 'failed';

/** A member as `status` reports it. */
export interface MemberStatus {
  name: string;
  kind: MemberKind;
  state: MemberState;
  healthy: boolean;
  address: string;
  pid: number | null;
  /** Why it is not running, when it stopped by itself ("exited with code 1", "killed by SIGKILL"). */
  message?: string;
  startedAt?: string;
}

export type MemberAction = 'stop' | 'start' | 'restart' | 'kill' | 'pause' | 'resume';

/** The signal `kill` sends: `TERM`, `sigterm`, `SIGTERM` → `SIGTERM`; SIGKILL when none is named. */
export function signalName(signal: string | undefined): string {
  const upper = (signal ?? 'SIGKILL').toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}
export const MEMBER_ACTIONS: readonly MemberAction[] = ['stop', 'start', 'restart', 'kill', 'pause', 'resume'];
