/**
 * Finding and starting the lab, whichever runtime runs it. Commands use only this module.
 */
import { LabError, StackNotRunningError, UsageError } from '../lib/errors.js';
import { labHome } from '../lib/paths.js';
import { AlreadyUpError, downNative, findNativeStack, upNative, type NativeStack, type UpProgress } from './native/native-stack.js';
import { dockerEngine } from './native/prerequisites.js';
import type { RuntimeName, Stack } from './stack.js';
import type { StackOptions } from './stack-spec.js';

export type RuntimeChoice = RuntimeName | 'auto';
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'native', 'compose'];

/** `auto` means compose when a Docker engine answers, native otherwise. */
export async function chooseRuntime(choice: RuntimeChoice): Promise<RuntimeName> {
  if (!RUNTIME_CHOICES.includes(choice)) throw new UsageError(`--runtime ${choice}: use auto, native or compose`);
  if (choice === 'native') return 'native';
  const engine = await dockerEngine();
  if (choice === 'compose' && !engine.answers) {
    throw new LabError(`--runtime compose needs a Docker engine, and ${engine.detail}`, { hint: 'start Docker, or use `--runtime native`' });
  }
  return engine.answers ? 'compose' : 'native';
}

/** The lab running from this folder, if any. */
export function findStack(home: string = labHome()): Stack | undefined {
  return findNativeStack(home);
}

/** The lab running from this folder; a clear error when there is none. */
export function requireStack(home: string = labHome()): Stack {
  const stack = findStack(home);
  if (!stack) throw new StackNotRunningError('the lab is not running in this folder');
  return stack;
}

export interface StartOptions {
  runtime: RuntimeName;
  home?: string;
  onProgress?: (event: UpProgress) => void;
  signal?: AbortSignal;
}

/** Boots the stack and resolves when every member is healthy (the code behind `pizza-lab up`). */
export async function startStack(options: StackOptions, start: StartOptions): Promise<Stack> {
  if (start.runtime === 'compose') {
    throw new LabError('the compose runtime is not available in this version', { hint: 'use `--runtime native`' });
  }
  return upNative(options, { home: start.home ?? labHome(), onProgress: start.onProgress, signal: start.signal });
}

/** Stops the lab in this folder; safe when nothing runs. */
export async function stopStack(options: { home?: string; volumes?: boolean; onProgress?: (message: string) => void } = {}): Promise<{ wasRunning: boolean }> {
  return downNative(options.home ?? labHome(), options);
}

export { AlreadyUpError, type NativeStack, type UpProgress };
export type { LogOptions, MemberAction, MemberStatus, RuntimeName, Stack, StackStatus } from './stack.js';
export * from './stack-spec.js';
