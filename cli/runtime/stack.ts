/**
 * What every command needs from a running lab, whichever runtime runs it. The native runtime
 * implements it with its supervisor; the compose runtime with Docker.
 */
import { LabError } from '../lib/errors.js';
import type { MemberAction, MemberStatus } from './common/index.js';
import type { StackPlan } from './stack-spec.js';

export type RuntimeName = 'native' | 'compose';

export interface StackStatus {
  runtime: RuntimeName;
  members: MemberStatus[];
}

export interface LogOptions {
  follow?: boolean;
  /** How many lines from the end to print first (all when undefined). */
  lines?: number;
  signal?: AbortSignal;
}

export interface Stack {
  readonly runtime: RuntimeName;
  /** Ports, links and addresses of this lab. */
  readonly plan: StackPlan;
  status(): Promise<StackStatus>;
  /** Stop, start, restart, kill (any signal), pause or resume one member. */
  control(member: string, action: MemberAction, options?: { signal?: string }): Promise<MemberStatus>;
  /** Writes a member's log to `out`; with `follow`, keeps writing until the signal aborts. */
  logs(member: string, out: NodeJS.WritableStream, options?: LogOptions): Promise<void>;
  /** The monitoring tools running beside the lab (the compose runtime's; none natively). */
  tools(): Promise<string[]>;
  /** Stops every member and leaves no process behind; `volumes` also deletes the data. */
  down(options?: { volumes?: boolean; onProgress?: (message: string) => void }): Promise<void>;
}

/** Thrown by `up` when this folder's lab, of either runtime, is already up. */
export class AlreadyUpError extends LabError {
  constructor(readonly lab: Stack) {
    super(`the lab is already up (${lab.runtime} runtime)`, { exitCode: 0 });
  }
}

export type { MemberAction, MemberStatus };
