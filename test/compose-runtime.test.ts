/**
 * The compose runtime end to end, wherever a Docker engine answers: the compose files generated
 * for a plan, booted with testcontainers' DockerComposeEnvironment under a project of its own
 * (so a developer's `pizza-lab` project is never touched), then recorded in a lab folder so the
 * CLI finds it as `pizza-lab up --runtime compose` would leave it — and the CLI's status, logs,
 * process faults through the Engine API and two scenarios run against it. Where no engine
 * answers, every test here is skipped, and the run says why.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DockerComposeEnvironment, getContainerRuntimeClient, type StartedDockerComposeEnvironment, type WaitStrategy } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Journal } from '../cli/experiment/runner.js';
import { writeComposeFiles } from '../cli/runtime/compose/compose-file.js';
import { recordComposeLab } from '../cli/runtime/compose/compose-home.js';
import { contextSocket } from '../cli/runtime/compose/docker-engine.js';
import { defaultStackOptions, planStack, type StackPlan } from '../cli/runtime/index.js';
import { eventually, runCli } from './support/lab.js';
import { labPorts } from './support/ports.js';

/** Whether a container engine answers here (testcontainers asks DOCKER_HOST, the socket, the context…). */
async function engineAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const engine = await engineAnswers();
if (!engine) console.warn('skipped: no Docker engine answers — these tests need one (test/compose-runtime.test.ts)');

/** `docker compose up --wait` has already waited for every health check, as `pizza-lab up` does. */
const waitedByCompose: WaitStrategy = {
  waitUntilReady: async () => {},
  withStartupTimeout() {
    return this;
  },
  isStartupTimeoutSet: () => false,
  getStartupTimeout: () => 0,
};

interface StatusJson {
  runtime: string;
  members: { name: string; kind: string; state: string; healthy: boolean; address: string; pid: number | null }[];
}

describe.skipIf(!engine)('the compose runtime on a real Docker engine', () => {
  let home: string;
  let plan: StackPlan;
  let environment: StartedDockerComposeEnvironment | undefined;
  const cli = (args: string[], timeoutMs?: number) => runCli(args, { home, timeoutMs });
  const status = async () => JSON.parse((await cli(['status', '--json'])).stdout) as StatusJson;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pizza-lab-compose-'));
    const ports = await labPorts();
    const options = defaultStackOptions({ ...ports, scale: { order: 2 } });
    plan = planStack(options);
    // Grafana, Kafka UI and the other tools on free ports of the same block, not on 3000, 8080…
    const tool = ports.ports.gateway + 4;
    const composeFile = await writeComposeFiles(plan, join(home, 'compose'), { toolPorts: { grafana: tool, kafkaUi: tool + 1, prometheus: tool + 2, pgadmin: tool + 3, cadvisor: tool + 4 } });
    const project = `pizza-lab-test-${randomUUID().slice(0, 8)}`;
    environment = await new DockerComposeEnvironment(dirname(composeFile), basename(composeFile))
      .withProjectName(project)
      .withBuild()
      .withClientOptions({ commandOptions: ['--wait'] })
      .withDefaultWaitStrategy(waitedByCompose)
      .up();
    await recordComposeLab(home, { options, project, composeFile, socketPath: await contextSocket() });
  }, 20 * 60_000);

  afterAll(async () => {
    await environment?.down({ removeVolumes: true, timeout: 10_000 });
    if (home) await rm(home, { recursive: true, force: true });
  }, 5 * 60_000);

  it('status --json lists every member of the plan running and healthy, with the plan’s addresses', async () => {
    const result = await cli(['status', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const s = JSON.parse(result.stdout) as StatusJson;
    expect(s.runtime).toBe('compose');
    expect(s.members.map((m) => m.name)).toEqual(['postgres', 'kafka', 'fault-proxy', ...plan.instances.map((i) => i.member)]);
    for (const m of s.members) {
      expect(m, m.name).toMatchObject({ state: 'running', healthy: true });
      expect(m.pid, m.name).toBeGreaterThan(0);
    }
    expect(s.members.find((m) => m.name === 'order-2')!.address).toBe(`127.0.0.1:${plan.instances.find((i) => i.member === 'order-2')!.port}`);
    // The plan's addresses answer: the gateway publishes the API on the host.
    const menu = await fetch(`${plan.endpoints.gateway}/api/v1/menu`);
    expect(menu.status).toBe(200);
  });

  it('logs prints a service’s log from the engine', async () => {
    const result = await cli(['logs', 'order-1', '--lines', '500']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/"msg":"order-1 listening"/);
  });

  it('kill and start act on the container through the Engine API', async () => {
    const killed = await cli(['fault', 'kill', 'notification']);
    expect(killed.code, killed.stderr).toBe(0);
    expect(killed.stdout).toMatch(/^notification: exited \(killed by SIGKILL\)$/m);
    expect((await status()).members.find((m) => m.name === 'notification')).toMatchObject({ state: 'exited', healthy: false, pid: null });

    const started = await cli(['fault', 'start', 'notification'], 180_000);
    expect(started.code, started.stderr).toBe(0);
    await eventually('notification healthy again', async () => {
      const m = (await status()).members.find((x) => x.name === 'notification')!;
      return m.state === 'running' && m.healthy ? m : undefined;
    }, 120_000, 1000);
  });

  for (const name of ['happy-path', 'payment-outage']) {
    it(`scenario ${name} --quick passes against it`, async () => {
      const dir = join(home, 'reports', name);
      const result = await cli(['scenario', name, '--quick', '--seed', '7', '--report', dir], 300_000);
      const journal = JSON.parse(await readFile(join(dir, 'journal.json'), 'utf8')) as Journal;
      const failed = journal.verdict?.rows.filter((r) => !r.pass).map((r) => `${r.expectation}: ${r.measured}`);
      expect(failed, `${name} failed:\n${result.stdout}\n${result.stderr.slice(-2000)}`).toEqual([]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`PASS ${name} in `));
      if (name === 'payment-outage') expect(journal.faults.map((f) => f.action)).toEqual(['kill payment']);
    }, 360_000);
  }
});
