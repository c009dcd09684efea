/**
 * One real native stack for the whole test run, booted through the same code `pizza-lab up`
 * uses, in a folder and on ports of its own (so it never meets a lab a developer has running).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { defaultStackOptions, startStack, stopStack, type StackPlan } from '../cli/runtime/index.js';
import { labPorts } from './support/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    lab: { home: string; plan: StackPlan };
  }
}

export default async function setup(project: TestProject) {
  const home = await mkdtemp(join(tmpdir(), 'pizza-lab-test-'));
  // Three order instances, so the scale-out scenario and the gateway's round-robin run here too.
  const options = defaultStackOptions({ ...(await labPorts()), scale: { order: 3 } });
  const started = Date.now();
  process.stderr.write(`booting the test lab in ${home}\n`);
  try {
    const stack = await startStack(options, { runtime: 'native', home });
    process.stderr.write(`test lab up in ${Date.now() - started} ms (gateway ${stack.plan.endpoints.gateway})\n`);
    project.provide('lab', { home, plan: stack.plan });
  } catch (error) {
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  return async () => {
    await stopStack({ home, volumes: true });
    await rm(home, { recursive: true, force: true });
  };
}
