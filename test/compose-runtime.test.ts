/**
 * The compose runtime for real: `pizza-lab up --runtime compose` through the CLI, on a Docker
 * engine of the tests' own (test/images/engine.sh starts one and names it in
 * PIZZA_LAB_TEST_DOCKER_HOST; .ci/run does), with the stand-in images test/images/build.sh makes
 * where no registry answers. The scenarios give the verdicts the native runtime gives; every query
 * of the Grafana dashboards and alert rules returns data from the lab's Prometheus; `down` leaves
 * nothing of the lab behind. Where no such engine is named, those tests are skipped, and the run
 * says why. The one-line refusals where compose cannot run need no engine and always run.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES } from '../cli/runtime/compose/index.js';
import { defaultStackOptions, planStack, type StackPlan } from '../cli/runtime/index.js';
import { filled, metricNames, queries } from './support/dashboards.js';
import { eventually, runCli, type CliResult } from './support/lab.js';
import { freePortBlock, labPorts } from './support/ports.js';
import { promises, runScenario } from './support/scenarios.js';

const engineHost = process.env.PIZZA_LAB_TEST_DOCKER_HOST;
if (!engineHost) console.warn('skipped: the compose runtime tests need a Docker engine of their own — run `eval "$(test/images/engine.sh start)"` and `test/images/build.sh` first (.ci/run does) (test/compose-runtime.test.ts)');

/** A folder holding a fake `docker` that answers as a client with an engine but without Compose v2. */
async function dockerWithoutCompose(dir: string): Promise<string> {
  const command = join(dir, 'docker');
  await writeFile(
    command,
    `#!/bin/sh
case "$*" in
  "version --format {{.Server.Version}}") echo 20.10.24 ;;
  compose*) echo "docker: 'compose' is not a docker command." >&2; exit 1 ;;
  *) echo "unexpected: docker $*" >&2; exit 1 ;;
esac
`,
  );
  await chmod(command, 0o755);
  return dir;
}

describe('up --runtime compose where compose cannot run: one line that says what to do', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pizza-lab-no-compose-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('no Docker engine', async () => {
    const result = await runCli(['up', '--runtime', 'compose'], { home: join(dir, 'lab-a'), env: { DOCKER_HOST: `unix://${join(dir, 'no-engine.sock')}` } });
    expect(result.stderr.trim()).toBe('error: --runtime compose needs a Docker engine, and no Docker engine answers (only its client is here) — start Docker, or use `--runtime native`');
    expect(result.code).toBe(1);
  });

  it('an engine without Compose v2; auto (and doctor) then choose the native runtime and say why', async () => {
    const bin = await dockerWithoutCompose(await mkdtemp(join(dir, 'bin-')));
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const result = await runCli(['up', '--runtime', 'compose'], { home: join(dir, 'lab-b'), env });
    expect(result.stderr.trim()).toBe("error: Docker Compose v2 is missing — install Docker Compose v2 (Docker's docker-compose-plugin package, or build it from its Go module: docs/compose.md#compose-v2), or use --runtime native");
    expect(result.code).toBe(1);

    const doctor = await runCli(['doctor', '--json'], { home: join(dir, 'lab-b'), env });
    const report = JSON.parse(doctor.stdout) as { runtime: string; checks: { name: string; ok: boolean; optional?: boolean; detail: string }[] };
    expect(report.runtime).toBe('native');
    expect(report.checks.find((c) => c.name === 'Compose v2')).toMatchObject({ ok: false, optional: true, detail: 'Docker Compose v2 is missing (`docker compose` does not answer) — the native runtime will be used' });
  });
});

interface StatusJson {
  runtime: string;
  members: { name: string; kind: string; state: string; healthy: boolean; address: string; pid: number | null }[];
}

/**
 * The scenarios whose verdicts must match the native runtime's (all PASS there, test/scenarios.test.ts);
 * provider-outage also makes the provider errors and handler retries that some panels show.
 */
const SCENARIOS = ['happy-path', 'payment-outage', 'partition', 'poison-message', 'db-outage', 'scale-out', 'provider-outage'];
/** Metrics only a monitoring tool that cannot be had here exposes (no registry: test/images/README.md). */
const UNAVAILABLE = [
  { prefix: 'container_', tool: 'cAdvisor' },
  { prefix: 'kafka_', tool: 'the Kafka exporter' },
];

describe.skipIf(!engineHost)('the compose runtime on a real Docker engine', () => {
  const env = { DOCKER_HOST: engineHost, ...(process.env.PIZZA_LAB_TEST_DOCKER_CONFIG ? { DOCKER_CONFIG: process.env.PIZZA_LAB_TEST_DOCKER_CONFIG } : {}) };
  const docker = new Docker({ socketPath: (engineHost ?? '').replace(/^unix:\/\//, '') });
  const project = 'pizza-lab';
  let home: string;
  let plan: StackPlan;
  let upArgs: string[];
  /** When the lab was started: the dashboards' time range, as Grafana would show this run. */
  let upAt = Date.now();
  const cli = (args: string[], timeoutMs?: number): Promise<CliResult> => runCli(args, { home, env, timeoutMs });
  const prometheus = () => `http://127.0.0.1:${upArgs[upArgs.indexOf('--prometheus-port') + 1]}`;
  const labContainers = () => docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'pizza-lab-compose-'));
    const { ports, portBase } = await labPorts();
    const prometheus = await freePortBlock(1);
    plan = planStack(defaultStackOptions({ ports, portBase, scale: { order: 3 } }));
    upArgs = [
      'up', '--runtime', 'compose', '--scale', 'order=3',
      '--gateway-port', String(ports.gateway), '--kafka-port', String(ports.kafka), '--postgres-port', String(ports.postgres), '--fault-port', String(ports.faultApi), '--port-base', String(portBase),
      // The tools this machine can have (test/images/README.md): Prometheus and the two exporters.
      '--monitoring', 'prometheus,node-exporter,postgres-exporter', '--prometheus-port', String(prometheus),
    ];
    console.warn('skipped here: Grafana, Kafka UI, pgAdmin, cAdvisor and the Kafka exporter — no registry, and no stand-in for them (test/images/README.md)');
  });

  afterAll(async () => {
    // Whatever a failed test left: the lab's containers and volumes go.
    if (home && (await labContainers()).length > 0) await cli(['down', '--volumes'], 300_000);
    if (home) await rm(home, { recursive: true, force: true });
  }, 300_000);

  it('a port taken: one line naming it and the flag that moves it, and nothing started', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(plan.options.ports.gateway, '127.0.0.1', resolve));
    try {
      const result = await cli(upArgs);
      expect(result.stderr.trim()).toBe(`error: port ${plan.options.ports.gateway} (gateway) is already taken — stop what listens there (another lab? \`pizza-lab down\` in its folder), or choose another with --gateway-port`);
      expect(result.code).toBe(1);
      expect(await labContainers()).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('an image missing, where no registry answers: one line naming it, and nothing started', async () => {
    const image = docker.getImage(IMAGES.toxiproxy);
    // Set aside under another name, so that the engine lacks this one, and put back after.
    await image.tag({ repo: 'pizza-lab-test/set-aside', tag: 'toxiproxy' });
    await image.remove();
    try {
      const result = await cli(upArgs, 300_000);
      expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^error: image ghcr\.io\/shopify\/toxiproxy:2\.12\.0 is not on this Docker engine and could not be pulled \(.+\) — pull it where a registry answers \(or `docker load` it\), or use --runtime native$/);
      expect(result.code).toBe(1);
      expect(await labContainers()).toEqual([]);
    } finally {
      const [repo, tag] = [IMAGES.toxiproxy.slice(0, IMAGES.toxiproxy.lastIndexOf(':')), IMAGES.toxiproxy.slice(IMAGES.toxiproxy.lastIndexOf(':') + 1)];
      await docker.getImage('pizza-lab-test/set-aside:toxiproxy').tag({ repo, tag });
      await docker.getImage('pizza-lab-test/set-aside:toxiproxy').remove();
    }
  }, 360_000);

  it('up boots every member of the plan, healthy, and the tools beside it', async () => {
    const started = Date.now();
    upAt = started;
    const result = await cli(upArgs, 25 * 60_000);
    console.log(`compose up (the first of this run; it builds the service image unless the engine has it): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(result.code, `${result.stdout}\n${result.stderr.slice(-3000)}`).toBe(0);
    expect(result.stdout).toMatch(/the lab is up in /);
    // The pages of the tools that run, and of no other.
    expect(result.stdout).toMatch(new RegExp(`prometheus\\s+http://127\\.0\\.0\\.1:${upArgs[upArgs.indexOf('--prometheus-port') + 1]}`));
    expect(result.stdout).not.toMatch(/grafana|kafka-ui|pgadmin/);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as StatusJson;
    expect(status.runtime).toBe('compose');
    expect(status.members.map((m) => m.name)).toEqual(['postgres', 'kafka', 'fault-proxy', ...plan.instances.map((i) => i.member)]);
    for (const m of status.members) expect(m, m.name).toMatchObject({ state: 'running', healthy: true });
    const services = new Set((await labContainers()).map((c) => c.Labels['com.docker.compose.service']));
    for (const tool of ['prometheus', 'node-exporter', 'postgres-exporter']) expect(services.has(tool), tool).toBe(true);
    // The lab did not wait for its tools; the scenarios' figures should not share the machine with
    // their start, and Prometheus should watch from the first scenario on.
    await eventually('Prometheus to scrape every service, the fault proxy and both exporters', async () => {
      const { data } = (await (await fetch(`${prometheus()}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { labels: { job: string }; health: string }[] } };
      const up = data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job);
      return ['services', 'fault-proxy', 'node', 'postgres-exporter'].every((job) => up.includes(job)) && data.activeTargets.filter((t) => t.labels.job === 'services').every((t) => t.health === 'up');
    }, 120_000, 1000);
  }, 26 * 60_000);

  for (const name of SCENARIOS) {
    it(`scenario ${name} --quick gives the native runtime's verdict`, async () => {
      const journal = await runScenario(name, join(home, 'reports', name), { home, env });
      promises[name]!(journal);
    }, 300_000);
  }

  it('every query of the Grafana dashboards and the alert rules returns data from the lab’s Prometheus', async () => {
    const skipped: string[] = [];
    const empty: string[] = [];
    for (const { where, expr } of queries()) {
      const source = UNAVAILABLE.find((u) => metricNames(expr).some((name) => name.startsWith(u.prefix)));
      if (source) {
        skipped.push(`${where} (${source.tool})`);
        continue;
      }
      // An alert rule's condition holds only while it fires: its data is the left-hand side.
      const query = filled(expr).replace(/\s*(>|<|==|!=|>=|<=)\s*[\d.e]+\s*$/, '');
      // Over the run, as a panel shows it: a counter of a member restarted since (payment-outage
      // kills payment) has its points before the restart, not after.
      const range = new URLSearchParams({ query, start: String(upAt / 1000), end: String(Date.now() / 1000), step: '5' });
      const response = await fetch(`${prometheus()}/api/v1/query_range?${range}`);
      const body = (await response.json()) as { status: string; data: { result: unknown[] }; error?: string };
      expect(body.status, `${where}: ${body.error}`).toBe('success');
      if (body.data.result.length === 0) empty.push(`${where}: ${query}`);
    }
    if (skipped.length > 0) console.warn(`skipped ${skipped.length} queries whose metrics come from a tool not run here:\n  ${skipped.join('\n  ')}`);
    expect(empty, 'queries without data').toEqual([]);
  });

  it('down leaves no container, network or anonymous volume of the lab, and keeps its data; up again; down --volumes removes the data', async () => {
    const mounted = new Set<string>();
    for (const c of await labContainers()) for (const m of c.Mounts) if (m.Type === 'volume' && m.Name) mounted.add(m.Name);
    const named = [...mounted].filter((v) => v.startsWith(`${project}_`));
    expect(named.length).toBeGreaterThan(0);
    const labVolumes = async () => new Set(((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name).filter((v) => mounted.has(v)));

    const down = await cli(['down'], 300_000);
    expect(down.code, down.stderr).toBe(0);
    expect(await labContainers()).toEqual([]);
    expect(await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${project}`] } })).toEqual([]);
    expect([...(await labVolumes())].sort()).toEqual(named.sort());

    const started = Date.now();
    const again = await cli(upArgs, 10 * 60_000);
    console.log(`compose up (the second, on the data the first left): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(again.code, again.stderr.slice(-3000)).toBe(0);
    // The data was kept: an order of the first scenario is still there.
    const journal = JSON.parse(await readFile(join(home, 'reports', SCENARIOS[0]!, 'journal.json'), 'utf8')) as { ledger: { orderId?: string }[] };
    const orderId = journal.ledger.find((e) => e.orderId)!.orderId!;
    const order = await fetch(`${plan.endpoints.gateway}/api/v1/orders/${orderId}`);
    expect(order.status).toBe(200);

    const gone = await cli(['down', '--volumes'], 300_000);
    expect(gone.code, gone.stderr).toBe(0);
    expect(await labContainers()).toEqual([]);
    expect([...(await labVolumes())]).toEqual([]);
  }, 15 * 60_000);
});
