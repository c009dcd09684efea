/**
 * A member of the lab as every runtime reports it: its kind, its state, and the actions a fault
 * can take on it. The native runtime runs members as processes, the compose runtime as
 * containers; both speak of them in these words.
 */
export type MemberKind = 'kafka' | 'postgres' | 'fault-proxy' | 'service' | 'gateway';

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

export const MEMBER_ACTIONS: readonly MemberAction[] = ['stop', 'start', 'restart', 'kill', 'pause', 'resume'];

/** The signal `kill` sends: `TERM`, `sigterm`, `SIGTERM` → `SIGTERM`; SIGKILL when none is named. */
export function signalName(signal: string | undefined): string {
  const upper = (signal ?? 'SIGKILL').toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}
