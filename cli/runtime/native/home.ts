/**
 * The files of a native lab under `.pizza-lab/`: what `up` asked for, where the supervisor
 * answers, the last state it wrote, logs and data. Every command finds the running lab here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultStackOptions, type StackOptions } from '../stack-spec.js';
import type { MemberStatus } from '../common/index.js';
import type { ProcessRef } from './processes.js';

export interface SupervisorInfo {
  runtime: 'native';
  pid: number;
  startTime?: string;
  controlUrl: string;
  token: string;
  startedAt: string;
}

export type StackPhase = 'starting' | 'up' | 'failed' | 'stopping' | 'stopped';

export interface Failure {
  member: string;
  message: string;
  lastLogLines: string[];
}

export interface StackEvent {
  time: string;
  member: string;
  message: string;
}

export interface StateFile {
  runtime: 'native';
  phase: StackPhase;
  members: (MemberStatus & { startTime?: string })[];
  failure?: Failure;
  events: StackEvent[];
  updatedAt: string;
}

export function homePaths(home: string) {
  return {
    home,
    options: join(home, 'options.json'),
    supervisor: join(home, 'supervisor.json'),
    state: join(home, 'state.json'),
    logs: join(home, 'logs'),
    data: join(home, 'data'),
    config: join(home, 'config'),
    memberLog: (member: string) => join(home, 'logs', `${member}.log`),
  };
}

export type HomePaths = ReturnType<typeof homePaths>;

function readJson<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes through a temporary file, so a reader never sees half a document. */
let writes = 0;
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  const temp = `${file}.${process.pid}.${++writes}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
}

/** The options `up` was given; an older lab's file gets today's defaults for what it lacks. */
export function readOptions(paths: HomePaths): StackOptions | undefined {
  const recorded = readJson<Partial<StackOptions>>(paths.options);
  return recorded && defaultStackOptions(recorded);
}
export const readSupervisor = (paths: HomePaths) => readJson<SupervisorInfo>(paths.supervisor);
export const readState = (paths: HomePaths) => readJson<StateFile>(paths.state);

/** Every process the last state names, for cleaning up after a supervisor that died. */
export function recordedProcesses(state: StateFile | undefined): (ProcessRef & { member: string })[] {
  return (state?.members ?? []).filter((m) => m.pid !== null).map((m) => ({ member: m.name, pid: m.pid!, startTime: m.startTime }));
}
