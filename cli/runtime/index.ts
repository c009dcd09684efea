/**
 * Finding and starting the lab, whichever runtime runs it. Commands use only this module.
 */
import { LabError, StackNotRunningError, UsageError } from '../lib/errors.js';
import { labHome } from '../lib/paths.js';
import { downCompose, findComposeStack, upCompose, type ComposeStack } from './compose/compose-stack.js';
import { downNative, findNativeStack, upNative, type NativeStack, type UpProgress } from './native/native-stack.js';
import { composeV2 } from './compose/docker-engine.js';
import { dockerEngine } from './native/prerequisites.js';
import { AlreadyUpError, type RuntimeName, type Stack } from './stack.js';
import type { StackOptions } from './stack-spec.js';

export type RuntimeChoice = RuntimeName | 'auto';
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['auto', 'native', 'compose'];

/**
 * `auto` means compose when a Docker engine and Compose v2 both answer, native otherwise; the
 * reason says why auto chose as it did (undefined when the runtime was asked for).
 */
export async function chooseRuntime(choice: RuntimeChoice): Promise<{ runtime: RuntimeName; reason?: string }> {
  if (!RUNTIME_CHOICES.includes(choice)) throw new UsageError(`--runtime ${choice}: use auto, native or compose`);
  if (choice === 'native') return { runtime: 'native' };
  const engine = await dockerEngine();
  if (choice === 'compose') {
    if (!engine.answers) throw new LabError(`--runtime compose needs a Docker engine, and ${engine.detail}`, { hint: 'start Docker, or use `--runtime native`' });
    return { runtime: 'compose' };
  }
  if (!engine.answers) return { runtime: 'native', reason: `${engine.detail}` };
  const compose = await composeV2();
  if (!compose.ok) return { runtime: 'native', reason: `a Docker engine answers, but ${compose.detail} (\`--runtime compose\` once it is installed)` };
  return { runtime: 'compose', reason: `a Docker engine and Compose ${compose.detail} answer (\`--runtime native\` runs without Docker)` };
}

/** The lab running from this folder, if any: a live native supervisor, or a recorded compose lab. */
export function findStack(home: string = labHome()): Stack | undefined {
  return findNativeStack(home) ?? findComposeStack(home);
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
  const home = start.home ?? labHome();
  const running = findStack(home);
  if (running?.runtime === 'native') throw new AlreadyUpError(running);
  if (running) {
    // A compose lab with a member down is brought up again by `docker compose up`.
    const health = await healthOf(running);
    if (health === 'healthy') throw new AlreadyUpError(running);
    if (health === 'unhealthy' && start.runtime === 'native') {
      throw new LabError('this folder has a compose lab with members down', { hint: '`pizza-lab up --runtime compose` brings it up again, `pizza-lab down` removes it' });
    }
  }
  if (start.runtime === 'compose') {
    if (options.postgresUrl || options.kafkaBootstrap) throw new UsageError(`${options.postgresUrl ? '--postgres' : '--kafka'} works with the native runtime only`, { hint: 'add --runtime native, or leave it out to run the lab\'s own containers' });
    return upCompose(options, { home, onProgress: start.onProgress, signal: start.signal });
  }
  return upNative(options, { home, onProgress: start.onProgress, signal: start.signal });
}

/** `absent` when the lab cannot be asked (no container, no engine): nothing of it runs. */
async function healthOf(stack: Stack): Promise<'healthy' | 'unhealthy' | 'absent'> {
  try {
    return (await stack.status()).members.every((m) => m.state === 'running' && m.healthy) ? 'healthy' : 'unhealthy';
  } catch {
    return 'absent';
  }
}

/** Stops the lab in this folder, whichever runtime runs it; safe when nothing runs. */
export async function stopStack(options: { home?: string; volumes?: boolean; onProgress?: (message: string) => void } = {}): Promise<{ wasRunning: boolean }> {
  const home = options.home ?? labHome();
  const compose = await downCompose(home, options);
  const native = await downNative(home, options);
  return { wasRunning: compose.wasRunning || native.wasRunning };
}

export { type ComposeStack, type NativeStack, type UpProgress };
export { AlreadyUpError } from './stack.js';
export type { LogOptions, MemberAction, MemberStatus, RuntimeName, Stack, StackStatus } from './stack.js';
export * from './stack-spec.js';
