import type { WaitStrategy } from '../../lib/wait.js';
import type { MemberKind } from '../common/index.js';

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
