import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BODY_LIMIT_BYTES } from '../../../services/kit/http.js';
import { projectRoot } from '../../lib/paths.js';
import { defaultStackOptions, planStack } from '../stack-spec.js';
import { brokerProperties, composeEnvironment, composeFiles, GATEWAY_LIMITS, kafkaEnvName, writeComposeFiles } from './compose-file.js';

interface ComposeFile {
  services: Record<string, { build?: { context: string; dockerfile: string }; volumes?: string[]; environment?: Record<string, string>; ports?: string[] }>;
}

describe('composeEnvironment', () => {
  const plan = planStack(defaultStackOptions({ scale: { order: 2 } }));
  const order = plan.instances.find((i) => i.member === 'order-1')!;

  it('keeps every variable name and moves every address onto its Toxiproxy link', () => {
    const env = composeEnvironment(plan, order.env);
    expect(Object.keys(env)).toEqual(Object.keys(order.env));
    expect(env.HTTP_HOST).toBe('0.0.0.0');
    expect(env.HTTP_PORT).toBe(order.env.HTTP_PORT);
    const link = (name: string) => plan.proxies.find((p) => p.name === name)!.listen.split(':')[1];
    expect(env.KAFKA_BROKERS).toBe(`toxiproxy:${link('order-kafka')}`);
    expect(env.DATABASE_URL).toBe(`postgres://order_svc:order_svc-pw@toxiproxy:${link('order-postgres')}/pizzalab`);
    expect(env.FRONTEND_URL).toBe(`http://toxiproxy:${link('order-frontend')}`);
    const gateway = composeEnvironment(plan, plan.instances.find((i) => i.service === 'gateway')!.env);
    expect(gateway.ORDER_URLS).toBe(`http://toxiproxy:${link('gateway-order')},http://toxiproxy:${link('gateway-order-2')}`);
  });

  it('refuses an address that is not a fault-proxy link (it would escape the faults)', () => {
    expect(() => composeEnvironment(plan, { ...order.env, DATABASE_URL: `postgres://x:y@127.0.0.1:${plan.postgres.port}/pizzalab` })).toThrow(/DATABASE_URL points at 127\.0\.0\.1:5433, which is not a fault-proxy link/);
  });
});

describe('Kafka broker settings', () => {
  it('names properties as the apache/kafka image reads them', () => {
    expect(kafkaEnvName('log.dirs')).toBe('KAFKA_LOG_DIRS');
    expect(kafkaEnvName('transaction.state.log.min.isr')).toBe('KAFKA_TRANSACTION_STATE_LOG_MIN_ISR');
    expect(kafkaEnvName('a_b.c-d')).toBe('KAFKA_A__B_C___D');
  });

  it('are the native server.properties with the listeners moved into the compose network', () => {
    const plan = planStack(defaultStackOptions({ brokers: 3 }));
    const second = brokerProperties(plan, plan.brokers[1]!);
    const broker = plan.brokers[1]!;
    expect(second.get('node.id')).toBe('2');
    expect(second.get('controller.quorum.voters')).toBe(plan.brokers.map((b) => `${b.id}@kafka-${b.id}:${b.controllerPort}`).join(','));
    const order = broker.listeners.find((l) => l.service === 'order')!;
    expect(second.get('listeners')).toContain(`ORDER://0.0.0.0:${order.port}`);
    expect(second.get('advertised.listeners')).toContain(`ORDER://toxiproxy:${order.advertisedPort}`);
    expect(second.get('advertised.listeners')).toContain(`TOOLS://127.0.0.1:${broker.toolsPort}`);
    expect(second.get('advertised.listeners')).toContain('INTERNAL://kafka-2:29092');
    expect(second.get('inter.broker.listener.name')).toBe('INTERNAL');
    expect(second.get('default.replication.factor')).toBe('3');
    expect(second.get('min.insync.replicas')).toBe('2');
  });
});

describe('nginx applies the Node gateway’s limits', () => {
  it('the same rate, burst, timeout and body limit as services/gateway and services/kit', () => {
    const gatewayMain = readFileSync(join(projectRoot, 'services', 'gateway', 'main.ts'), 'utf8');
    const defaultOf = (name: string) => Number(new RegExp(`${name}: z[^\\n]*\\.default\\(([\\d_]+)\\)`).exec(gatewayMain)![1]!.replace(/_/g, ''));
    expect(GATEWAY_LIMITS.ratePerSecond).toBe(defaultOf('RATE_LIMIT_RPS'));
    expect(GATEWAY_LIMITS.burst).toBe(defaultOf('RATE_LIMIT_BURST'));
    expect(GATEWAY_LIMITS.timeoutMs).toBe(defaultOf('UPSTREAM_TIMEOUT_MS'));
    expect(GATEWAY_LIMITS.bodyLimitBytes).toBe(BODY_LIMIT_BYTES);
    // The hand-written error pages state the same figures.
    const errors = readFileSync(join(projectRoot, 'compose', 'nginx', 'json-errors.conf'), 'utf8');
    expect(errors).toContain(`larger than ${BODY_LIMIT_BYTES} bytes`);
    expect(errors).toContain(`"timeoutMs":${GATEWAY_LIMITS.timeoutMs}`);
    const conf = composeFiles(planStack(defaultStackOptions()), { baseDir: join(projectRoot, 'compose'), root: projectRoot })['nginx/nginx.conf']!;
    expect(conf).toContain(`rate=${GATEWAY_LIMITS.ratePerSecond}r/s`);
    expect(conf).toContain(`burst=${GATEWAY_LIMITS.burst} nodelay`);
    expect(conf).toContain('proxy_read_timeout 10s;');
    expect(conf).toContain('client_max_body_size 16k;');
  });
});

describe('writeComposeFiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pizza-lab-compose-file-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a compose file whose every path resolves from where it was written: the build context, generated and hand-written files', async () => {
    const plan = planStack(defaultStackOptions({ scale: { order: 2 }, brokers: 3 }));
    const file = await writeComposeFiles(plan, join(dir, '.pizza-lab', 'compose'));
    expect(file).toBe(join(dir, '.pizza-lab', 'compose', 'docker-compose.yml'));
    expect(readFileSync(join(dirname(file), '.env'), 'utf8')).toContain('COMPOSE_PROJECT_NAME=pizza-lab');
    const compose = parse(readFileSync(file, 'utf8')) as ComposeFile;
    const order = compose.services['order-2']!;
    expect(resolve(dirname(file), order.build!.context)).toBe(projectRoot);
    expect(existsSync(join(projectRoot, order.build!.dockerfile))).toBe(true);
    const hostPaths = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((source) => source.startsWith('.'));
    expect(hostPaths.length).toBeGreaterThanOrEqual(8);
    for (const source of hostPaths) expect(existsSync(resolve(dirname(file), source)), source).toBe(true);
  });

  it('publishes the tools on the ports asked for', async () => {
    const plan = planStack(defaultStackOptions());
    const file = await writeComposeFiles(plan, join(dir, 'tools'), { toolPorts: { grafana: 23000, prometheus: 29090 } });
    const compose = parse(readFileSync(file, 'utf8')) as ComposeFile;
    expect(compose.services.grafana!.ports).toEqual(['127.0.0.1:23000:3000']);
    expect(compose.services.prometheus!.ports).toEqual(['127.0.0.1:29090:9090']);
    expect(compose.services['kafka-ui']!.ports).toEqual(['127.0.0.1:8080:8080']);
  });
});
