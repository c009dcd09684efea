/**
 * What a compose lab keeps in `.pizza-lab/`: the generated files under `compose/`, the options
 * `up` was given (`options.json`, the same file the native runtime writes) and `compose.json`,
 * which says that a compose lab was started from this folder, under which project name and on
 * which engine. Later commands find the lab through it; `down` removes it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackOptions } from '../stack-spec.js';
import { homePaths, writeJsonAtomic } from '../native/home.js';

export interface ComposeRecord {
  runtime: 'compose';
  /** The compose project (`docker compose -p`); its containers carry it in their labels. */
  project: string;
  composeFile: string;
  /** The engine's socket as the docker CLI's context names it; absent means dockerode's default (DOCKER_HOST or /var/run/docker.sock). */
  socketPath?: string;
  startedAt: string;
}

export function composePaths(home: string) {
  return { home, record: join(home, 'compose.json'), dir: join(home, 'compose') };
}

/** The compose lab recorded in this folder, if any. */
export function readComposeRecord(home: string): ComposeRecord | undefined {
  const file = composePaths(home).record;
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as ComposeRecord;
    return record.runtime === 'compose' && typeof record.project === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Records a compose lab in `home`, so that every later command finds it. */
export async function recordComposeLab(home: string, lab: { options: StackOptions; project: string; composeFile: string; socketPath?: string }): Promise<ComposeRecord> {
  const record: ComposeRecord = { runtime: 'compose', project: lab.project, composeFile: lab.composeFile, socketPath: lab.socketPath, startedAt: new Date().toISOString() };
  await writeJsonAtomic(homePaths(home).options, lab.options);
  await writeJsonAtomic(composePaths(home).record, record);
  return record;
}

export async function forgetComposeLab(home: string): Promise<void> {
  await rm(composePaths(home).record, { force: true });
}
